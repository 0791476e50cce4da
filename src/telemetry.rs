//! Structured logging with tracing: text for people, JSON for shippers.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `ERRAND_LOG` (or `RUST_LOG`) overrides the filter.
pub fn init(format: &str, filter: &str) {
    let filter = std::env::var("ERRAND_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests, embedded use) keeps the first subscriber.
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
