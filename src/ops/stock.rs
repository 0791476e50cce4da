//! Stock alerts: days of cover from a demand forecast and the stock left,
//! and what to reorder. Pure: the numbers come in, the alerts go out.

use serde::Serialize;

/// The reorder rule, from help-stock-reorder-agent's `[policy]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reorder {
    /// Days from a reorder to the goods on the shelf.
    pub lead_days: f64,
    /// Days of demand kept beyond the lead time against a forecast too low.
    pub safety_days: f64,
    /// Days of demand a reorder should cover once it arrives.
    pub cover_days: f64,
}

/// One product as the alerts see it.
#[derive(Debug, Clone)]
pub struct Item {
    pub product_id: String,
    pub title: String,
    pub merchant_id: String,
    pub stock: u32,
    /// Forecast units a day over the coming weeks.
    pub daily: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Alert {
    pub product_id: String,
    pub title: String,
    pub merchant_id: String,
    pub stock: u32,
    /// Forecast units a day, to one decimal.
    pub daily_forecast: f64,
    /// Days the stock lasts at the forecast, to one decimal.
    pub days_of_cover: f64,
    /// Units to order now so that, once they arrive, `cover_days` of demand
    /// is on the shelf.
    pub reorder_quantity: u32,
}

/// The items to reorder now (their stock lasts no longer than the lead time
/// plus the safety days), the fewest days of cover first.
pub fn alerts(items: &[Item], rule: Reorder) -> Vec<Alert> {
    let mut out: Vec<Alert> = items
        .iter()
        .filter(|i| i.daily > 0.0)
        .filter_map(|i| {
            let cover = f64::from(i.stock) / i.daily;
            if cover > rule.lead_days + rule.safety_days {
                return None;
            }
            let needed = (i.daily * (rule.lead_days + rule.cover_days)).ceil() - f64::from(i.stock);
            Some(Alert {
                product_id: i.product_id.clone(),
                title: i.title.clone(),
                merchant_id: i.merchant_id.clone(),
                stock: i.stock,
                daily_forecast: round1(i.daily),
                days_of_cover: round1(cover),
                reorder_quantity: needed.max(1.0) as u32,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        a.days_of_cover
            .total_cmp(&b.days_of_cover)
            .then_with(|| a.product_id.cmp(&b.product_id))
    });
    out
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: Reorder = Reorder {
        lead_days: 2.0,
        safety_days: 2.0,
        cover_days: 14.0,
    };

    fn item(id: &str, stock: u32, daily: f64) -> Item {
        Item {
            product_id: id.into(),
            title: id.into(),
            merchant_id: "m".into(),
            stock,
            daily,
        }
    }

    #[test]
    fn what_runs_out_within_lead_and_safety_days_is_reordered_first() {
        let got = alerts(
            &[
                item("plenty", 100, 5.0),
                item("soon", 12, 4.0),
                item("gone", 0, 2.0),
                item("unsold", 0, 0.0),
            ],
            RULE,
        );
        let ids: Vec<&str> = got.iter().map(|a| a.product_id.as_str()).collect();
        assert_eq!(ids, ["gone", "soon"]);
        // 4 a day for 2 + 14 days is 64; 12 are on the shelf.
        assert_eq!(got[1].reorder_quantity, 52);
        assert_eq!(got[1].days_of_cover, 3.0);
        assert_eq!(got[0].reorder_quantity, 32);
    }
}
