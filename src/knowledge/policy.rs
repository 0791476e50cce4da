//! The policy numbers the engine enforces, read from the help articles that
//! state them (their `[policy]` front matter), so the text a customer or an
//! agent reads and the rule that runs can never disagree.

use std::path::Path;

use super::{HelpArticle, KnowledgeError};

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// help-cancel-order `fee_after_accept_percent`: kept of the food value
    /// when an accepted order is cancelled.
    pub cancel_fee_percent: u32,
    /// help-reblast-policy `max_reblasts`.
    pub max_reblasts: i64,
    /// help-reblast-policy `min_minutes_between`.
    pub min_minutes_between_reblasts: f64,
    /// help-refund-policy `agent_approval_above_minor`: what customers may
    /// refund themselves on one order, in all; above it an agent approves.
    pub customer_refund_per_order_minor: i64,
    /// help-refund-policy `customer_daily_limit_minor`: what one customer may
    /// refund themselves in a day (UTC), across orders.
    pub customer_refund_per_day_minor: i64,
    /// help-missing-items `report_within_hours`.
    pub report_within_hours: i64,
    /// help-ride-types `shared_max_riders`: seats a shared ride sells to one
    /// booking (it shares the car with strangers).
    pub shared_max_riders: i64,
    /// help-feedback `ticket_within_days`: a complaint about an order placed
    /// this recently opens (or joins) a ticket for a person.
    pub feedback_ticket_days: i64,
    /// help-stock-reorder-agent `reorder_lead_days`: days from a reorder to
    /// the shelf.
    pub reorder_lead_days: f64,
    /// help-stock-reorder-agent `safety_days`: days of demand kept beyond
    /// the lead time.
    pub reorder_safety_days: f64,
    /// help-stock-reorder-agent `reorder_cover_days`: days of demand a
    /// reorder brings once it arrives.
    pub reorder_cover_days: f64,
    /// help-ride-fares `surge_cap_multiplier`, in tenths (20 = 2.0x).
    pub surge_cap_tenths: i64,
    /// help-fleet-rebalancing-agent `max_move_km`: the furthest an idle
    /// driver is asked to drive empty.
    pub fleet_max_move_km: f64,
    /// help-fleet-rebalancing-agent `min_move_km`: closer is close enough.
    pub fleet_min_move_km: f64,
    /// help-fleet-rebalancing-agent `trips_per_driver_hour`.
    pub fleet_trips_per_driver_hour: f64,
    /// help-fleet-rebalancing-agent `incentive_per_km_minor`: paid per road
    /// km of an accepted move.
    pub fleet_incentive_per_km_minor: i64,
    /// help-experiments-agent `confidence`: of a variant's interval.
    pub experiment_confidence: f64,
    /// help-experiments-agent `significance_level`: a p-value below it is a
    /// difference.
    pub experiment_significance: f64,
    /// help-experiments-agent `psi_watch` and `psi_alert`: drift worth
    /// watching, and drift that calls for a check.
    pub psi_watch: f64,
    pub psi_alert: f64,
}

const FLEET: &str = "help-fleet-rebalancing-agent";
const EXPERIMENTS: &str = "help-experiments-agent";

impl Policy {
    /// Reads every number; a missing article or field, or one of the wrong
    /// type, is an error naming the article's file and the field.
    pub(crate) fn from_help(dir: &Path, help: &[HelpArticle]) -> Result<Policy, KnowledgeError> {
        let number = |article: &str, field: &str| -> Result<f64, KnowledgeError> {
            let file = dir.join(format!("{}.md", article.trim_start_matches("help-")));
            let a = help.iter().find(|a| a.id == article).ok_or_else(|| {
                KnowledgeError::new(
                    &file,
                    None,
                    None,
                    format!("article `{article}` is required"),
                )
            })?;
            let field_path = format!("policy.{field}");
            a.policy[field]
                .as_f64()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| {
                    KnowledgeError::new(
                        &file,
                        None,
                        Some(&field_path),
                        "a non-negative number is required",
                    )
                })
        };
        let whole = |article: &str, field: &str| -> Result<i64, KnowledgeError> {
            let v = number(article, field)?;
            if v.fract() != 0.0 || v > i64::MAX as f64 / 4.0 {
                let file = dir.join(format!("{}.md", article.trim_start_matches("help-")));
                let field_path = format!("policy.{field}");
                return Err(KnowledgeError::new(
                    &file,
                    None,
                    Some(&field_path),
                    "a whole number is required",
                ));
            }
            Ok(v as i64)
        };
        let percent = whole("help-cancel-order", "fee_after_accept_percent")?;
        if percent > 100 {
            return Err(KnowledgeError::new(
                &dir.join("cancel-order.md"),
                None,
                Some("policy.fee_after_accept_percent"),
                "a percentage is at most 100",
            ));
        }
        for field in ["confidence", "significance_level"] {
            let v = number(EXPERIMENTS, field)?;
            if !(v > 0.0 && v < 1.0) {
                return Err(KnowledgeError::new(
                    &dir.join("experiments-agent.md"),
                    None,
                    Some(&format!("policy.{field}")),
                    "a probability between 0 and 1 is required",
                ));
            }
        }
        Ok(Policy {
            cancel_fee_percent: percent as u32,
            max_reblasts: whole("help-reblast-policy", "max_reblasts")?,
            min_minutes_between_reblasts: number("help-reblast-policy", "min_minutes_between")?,
            customer_refund_per_order_minor: whole(
                "help-refund-policy",
                "agent_approval_above_minor",
            )?,
            customer_refund_per_day_minor: whole(
                "help-refund-policy",
                "customer_daily_limit_minor",
            )?,
            report_within_hours: whole("help-missing-items", "report_within_hours")?,
            shared_max_riders: whole("help-ride-types", "shared_max_riders")?,
            feedback_ticket_days: whole("help-feedback", "ticket_within_days")?,
            reorder_lead_days: number("help-stock-reorder-agent", "reorder_lead_days")?,
            reorder_safety_days: number("help-stock-reorder-agent", "safety_days")?,
            reorder_cover_days: number("help-stock-reorder-agent", "reorder_cover_days")?,
            surge_cap_tenths: (number("help-ride-fares", "surge_cap_multiplier")? * 10.0).round()
                as i64,
            fleet_max_move_km: number(FLEET, "max_move_km")?,
            fleet_min_move_km: number(FLEET, "min_move_km")?,
            fleet_trips_per_driver_hour: number(FLEET, "trips_per_driver_hour")?,
            fleet_incentive_per_km_minor: whole(FLEET, "incentive_per_km_minor")?,
            experiment_confidence: number(EXPERIMENTS, "confidence")?,
            experiment_significance: number(EXPERIMENTS, "significance_level")?,
            psi_watch: number(EXPERIMENTS, "psi_watch")?,
            psi_alert: number(EXPERIMENTS, "psi_alert")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_articles_state_every_number() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        let k = crate::knowledge::Knowledge::load(&root).unwrap();
        assert_eq!(k.policy.cancel_fee_percent, 50);
        assert_eq!(k.policy.customer_refund_per_order_minor, 100_000);
        assert_eq!(k.policy.shared_max_riders, 2);
        assert!(k.policy.customer_refund_per_day_minor >= k.policy.customer_refund_per_order_minor);
    }

    #[test]
    fn a_missing_number_names_the_file_and_field() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        let k = crate::knowledge::Knowledge::load(&root).unwrap();
        let mut help = k.help.clone();
        let a = help
            .iter_mut()
            .find(|a| a.id == "help-reblast-policy")
            .unwrap();
        a.policy["max_reblasts"] = serde_json::json!("three");
        let e = Policy::from_help(&root.join("help"), &help).unwrap_err();
        assert!(e.file.ends_with("reblast-policy.md"), "{e}");
        assert_eq!(e.field.as_deref(), Some("policy.max_reblasts"));
    }
}
