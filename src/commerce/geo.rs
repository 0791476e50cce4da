//! Distances and the gazetteer: place names and aliases to coordinates.

use serde::{Deserialize, Serialize};

use crate::knowledge::Knowledge;

pub use crate::ops::fleet::haversine_km;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Point {
    pub name: String,
    pub lat: f64,
    pub lon: f64,
}

fn norm(s: &str) -> String {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && *w != "the")
        .collect::<Vec<_>>()
        .join(" ")
}

/// The known place a longer text names, as its words in a row: "the
/// address is Trinity Metro, for two" names Trinity Metro. The longest name
/// wins, so "Koramangala East" beats "Koramangala".
pub fn spot(k: &Knowledge, text: &str) -> Option<String> {
    let q = format!(" {} ", norm(text));
    k.places
        .iter()
        .flat_map(|p| {
            std::iter::once(&p.name)
                .chain(&p.aliases)
                .map(move |n| (norm(n), p))
        })
        .filter(|(n, _)| !n.is_empty() && q.contains(&format!(" {n} ")))
        .max_by_key(|(n, _)| n.len())
        .map(|(_, p)| p.name.clone())
}

/// Resolves a place name, alias, or `lat,lon`; on failure, the closest known names.
pub fn resolve(k: &Knowledge, text: &str) -> Result<Point, Vec<String>> {
    if let Some((la, lo)) = text.split_once(',') {
        if let (Ok(lat), Ok(lon)) = (la.trim().parse::<f64>(), lo.trim().parse::<f64>()) {
            if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) {
                return Ok(Point {
                    name: format!("{lat:.5},{lon:.5}"),
                    lat,
                    lon,
                });
            }
        }
    }
    let q = norm(text);
    let names = |p: &crate::knowledge::Place| {
        std::iter::once(p.name.clone())
            .chain(p.aliases.iter().cloned())
            .collect::<Vec<_>>()
    };
    let point = |p: &crate::knowledge::Place| Point {
        name: p.name.clone(),
        lat: p.lat,
        lon: p.lon,
    };
    if q.is_empty() {
        return Err(Vec::new());
    }
    if let Some(p) = k
        .places
        .iter()
        .find(|p| names(p).iter().any(|n| norm(n) == q))
    {
        return Ok(point(p));
    }
    // "central mall navapur" or "mall central": every word of a name present; shortest name wins.
    let words: Vec<&str> = q.split(' ').collect();
    let contained = k
        .places
        .iter()
        .filter_map(|p| {
            names(p)
                .iter()
                .map(|n| norm(n))
                .filter(|n| n.split(' ').all(|w| words.contains(&w)))
                .map(|n| n.len())
                .max()
                .map(|l| (l, p))
        })
        .max_by_key(|(l, _)| *l);
    if let Some((_, p)) = contained {
        return Ok(point(p));
    }
    let mut scored: Vec<(usize, &str)> = Vec::new();
    for p in &k.places {
        for n in names(p) {
            scored.push((edit_distance(&norm(&n), &q), p.name.as_str()));
        }
    }
    scored.sort();
    let best = scored.first().map_or(usize::MAX, |s| s.0);
    // A small typo ("centrl mall") still resolves; anything further is a question back.
    if q.len() >= 5 && best <= (q.len() + 2) / 4 {
        let name = scored[0].1;
        return Ok(point(
            k.places
                .iter()
                .find(|p| p.name == name)
                .expect("name came from places"),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for (_, n) in scored {
        if !out.iter().any(|o| o == n) {
            out.push(n.to_string());
        }
        if out.len() == 3 {
            break;
        }
    }
    Err(out)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_and_edits() {
        let d = haversine_km((12.97, 77.59), (13.07, 77.59));
        assert!((d - 11.1).abs() < 0.2, "{d}");
        assert_eq!(edit_distance("centrl mall", "central mall"), 1);
    }
}
