//! Pain points: a period's complaints grouped by the aspect triage found in
//! them, ranked by volume, each with its trend against the period before,
//! where it hurts most (merchants, areas), example quotes and the help
//! article with the first fix.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use serde::Serialize;

use super::{invalid, Commerce, Result};
use crate::store::Complaint;

/// Quotes kept per pain point.
const EXAMPLES: usize = 3;
/// Merchants and areas listed per pain point.
const WHERE: usize = 3;

#[derive(Debug, Clone, Serialize)]
pub struct PainPoints {
    pub from: String,
    pub to: String,
    /// The period of the same length just before, the trend's baseline.
    pub previous_from: String,
    pub previous_to: String,
    pub merchant: Option<String>,
    pub complaints: usize,
    pub previous_complaints: usize,
    /// Complaints that named no aspect, in no pain point.
    pub without_aspect: usize,
    pub pain_points: Vec<PainPoint>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PainPoint {
    pub aspect: String,
    pub label: String,
    pub summary: String,
    pub complaints: usize,
    pub previous: usize,
    /// Relative change against the period before; null when it had none.
    pub trend: Option<f64>,
    pub team: String,
    pub merchants: Vec<Place>,
    pub areas: Vec<Place>,
    pub examples: Vec<Quote>,
    pub by_day: Vec<DayCount>,
    pub first_fix: Fix,
}

#[derive(Debug, Clone, Serialize)]
pub struct Place {
    pub id: String,
    pub name: String,
    pub complaints: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Quote {
    pub order_id: Option<String>,
    pub day: String,
    pub rating: Option<i64>,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DayCount {
    pub day: String,
    pub complaints: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Fix {
    pub article: String,
    pub title: String,
    /// The article's first paragraph.
    pub text: String,
}

/// The most frequent keys, most first, ties by name.
fn top(counts: BTreeMap<String, usize>, n: usize) -> Vec<(String, usize)> {
    let mut v: Vec<(String, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(n);
    v
}

impl Commerce {
    /// Pain points from `from` to `to` (inclusive), of one merchant's orders
    /// if given.
    pub async fn pain_points(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        merchant: Option<String>,
    ) -> Result<PainPoints> {
        if let Some(m) = &merchant {
            if self.knowledge.merchant(m).is_none() {
                return Err(invalid("merchant", format!("no merchant `{m}`")));
            }
        }
        let days = (to - from).num_days() + 1;
        let previous_to = from - Duration::days(1);
        let previous_from = from - Duration::days(days);
        let all = self
            .store
            .complaints(previous_from.to_string(), to.to_string(), merchant.clone())
            .await?;
        let first_day = from.to_string();
        let (before, now): (Vec<&Complaint>, Vec<&Complaint>) =
            all.iter().partition(|c| c.day < first_day);
        let words = self.triage.pain_words();
        let mut points: Vec<PainPoint> = self
            .triage
            .aspects()
            .iter()
            .filter_map(|aspect| {
                let about = |c: &&&Complaint| c.aspects.contains(&aspect.id);
                let these: Vec<&Complaint> = now.iter().filter(about).copied().collect();
                if these.is_empty() {
                    return None;
                }
                let previous = before.iter().filter(about).count();
                let mut merchants = BTreeMap::new();
                let mut areas = BTreeMap::new();
                let mut by_day = BTreeMap::new();
                for c in &these {
                    if let Some(m) = &c.merchant_id {
                        *merchants.entry(m.clone()).or_default() += 1;
                    }
                    *areas.entry(c.area.clone()).or_default() += 1;
                    *by_day.entry(c.day.clone()).or_default() += 1;
                }
                let merchants: Vec<Place> = top(merchants, WHERE)
                    .into_iter()
                    .map(|(id, complaints)| Place {
                        name: self
                            .knowledge
                            .merchant(&id)
                            .map_or_else(|| id.clone(), |m| m.name.clone()),
                        id,
                        complaints,
                    })
                    .collect();
                let areas: Vec<Place> = top(areas, WHERE)
                    .into_iter()
                    .map(|(id, complaints)| Place {
                        name: id.clone(),
                        id,
                        complaints,
                    })
                    .collect();
                let trend = (previous > 0)
                    .then(|| (these.len() as f64 - previous as f64) / previous as f64);
                let trend_words = match trend {
                    None => words.new.clone(),
                    Some(t) => {
                        let pct = (t.abs() * 100.0).round().to_string();
                        let phrase = if pct == "0" {
                            &words.level
                        } else if t > 0.0 {
                            &words.up
                        } else {
                            &words.down
                        };
                        phrase.replace("{pct}", &pct)
                    }
                };
                let name_of = |p: Option<&Place>| {
                    p.map_or("-".to_string(), |p| {
                        format!("{} ({})", p.name, p.complaints)
                    })
                };
                let summary = words
                    .summary
                    .replace("{label}", &aspect.label)
                    .replace("{complaints}", &these.len().to_string())
                    .replace("{days}", &days.to_string())
                    .replace("{trend}", &trend_words)
                    .replace("{merchant}", &name_of(merchants.first()))
                    .replace("{area}", &name_of(areas.first()));
                let article = self.knowledge.help.iter().find(|h| h.id == aspect.article);
                Some(PainPoint {
                    aspect: aspect.id.clone(),
                    label: aspect.label.clone(),
                    summary,
                    complaints: these.len(),
                    previous,
                    trend,
                    team: aspect.team.clone(),
                    merchants,
                    areas,
                    // The newest first: what the period ended on.
                    examples: these
                        .iter()
                        .rev()
                        .take(EXAMPLES)
                        .map(|c| Quote {
                            order_id: c.order_id.clone(),
                            day: c.day.clone(),
                            rating: c.rating,
                            text: c.text.clone(),
                        })
                        .collect(),
                    by_day: by_day
                        .into_iter()
                        .map(|(day, complaints)| DayCount { day, complaints })
                        .collect(),
                    first_fix: Fix {
                        article: aspect.article.clone(),
                        title: article.map(|a| a.title.clone()).unwrap_or_default(),
                        text: article
                            .map(|a| first_paragraph(&a.body))
                            .unwrap_or_default(),
                    },
                })
            })
            .collect();
        points.sort_by(|a, b| {
            b.complaints.cmp(&a.complaints).then_with(|| {
                b.trend
                    .unwrap_or(f64::INFINITY)
                    .total_cmp(&a.trend.unwrap_or(f64::INFINITY))
            })
        });
        Ok(PainPoints {
            from: from.to_string(),
            to: to.to_string(),
            previous_from: previous_from.to_string(),
            previous_to: previous_to.to_string(),
            merchant,
            complaints: now.len(),
            previous_complaints: before.len(),
            without_aspect: now.iter().filter(|c| c.aspects.is_empty()).count(),
            pain_points: points,
        })
    }
}

/// The first paragraph of a help article's body that is not a heading.
fn first_paragraph(body: &str) -> String {
    body.split("\n\n")
        .map(str::trim)
        .find(|p| !p.is_empty() && !p.starts_with('#'))
        .unwrap_or_default()
        .replace('\n', " ")
}
