//! Evaluation and benchmarks: `errand eval` (dialogues replayed over HTTP),
//! `errand eval retrieval`, `errand bench retrieval`.

pub mod bench;
pub mod client;
pub mod dialogues;
pub mod feedback;
pub mod fleet;
pub mod forecast;
pub mod reader;
pub mod real;
pub mod recs;
pub mod replay;
pub mod report;
pub mod retrieval;

use std::path::Path;

/// Copies a folder tree (the search index, for a scratch server).
pub fn copy_dir(src: &Path, dst: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dst)?;
    for entry in std::fs::read_dir(src)? {
        let entry = entry?;
        let to = dst.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &to)?;
        } else {
            std::fs::copy(entry.path(), to)?;
        }
    }
    Ok(())
}

/// The value at quantile `q` (0..=1) of an already sorted slice.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i]
}

/// A progress bar on stderr, hidden when the output is JSON.
pub fn progress(hidden: bool, len: usize, what: &str) -> indicatif::ProgressBar {
    let bar = if hidden {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(len as u64)
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{{len}} {what} {{msg}}"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}
