//! Request counters and latency histograms in Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;

const BUCKETS_MS: &[f64] = &[
    1.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 5000.0,
];

#[derive(Default)]
struct Series {
    count: u64,
    sum_ms: f64,
    buckets: [u64; BUCKETS_MS.len()],
}

/// Keyed by (method, route template, status) so ids in paths do not explode the label set.
#[derive(Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<(String, String, u16), Series>>,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, ms: f64) {
        let mut map = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let s = map
            .entry((method.to_string(), route.to_string(), status))
            .or_default();
        s.count += 1;
        s.sum_ms += ms;
        for (i, b) in BUCKETS_MS.iter().enumerate() {
            if ms <= *b {
                s.buckets[i] += 1;
            }
        }
    }

    pub fn render(&self, ready: bool, store_retries: u64) -> String {
        let map = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        let _ = writeln!(out, "# HELP errand_ready 1 when indexes and models are loaded.\n# TYPE errand_ready gauge\nerrand_ready {}", u8::from(ready));
        let _ = writeln!(out, "# HELP errand_store_serialization_retries_total Store calls run again after PostgreSQL gave up a transaction to keep concurrent ones serializable.\n# TYPE errand_store_serialization_retries_total counter\nerrand_store_serialization_retries_total {store_retries}");
        let _ = writeln!(out, "# HELP errand_http_requests_total HTTP requests by route and status.\n# TYPE errand_http_requests_total counter");
        for ((m, r, st), s) in map.iter() {
            let _ = writeln!(
                out,
                "errand_http_requests_total{{method=\"{m}\",route=\"{r}\",status=\"{st}\"}} {}",
                s.count
            );
        }
        let _ = writeln!(out, "# HELP errand_http_request_duration_ms Request latency.\n# TYPE errand_http_request_duration_ms histogram");
        for ((m, r, st), s) in map.iter() {
            let labels = format!("method=\"{m}\",route=\"{r}\",status=\"{st}\"");
            for (i, b) in BUCKETS_MS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "errand_http_request_duration_ms_bucket{{{labels},le=\"{b}\"}} {}",
                    s.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "errand_http_request_duration_ms_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "errand_http_request_duration_ms_sum{{{labels}}} {:.3}",
                s.sum_ms
            );
            let _ = writeln!(
                out,
                "errand_http_request_duration_ms_count{{{labels}}} {}",
                s.count
            );
        }
        out
    }
}

pub async fn record(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let start = Instant::now();
    let resp = next.run(req).await;
    s.metrics.observe(
        &method,
        &route,
        resp.status().as_u16(),
        start.elapsed().as_secs_f64() * 1000.0,
    );
    resp
}
