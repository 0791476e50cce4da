//! Hybrid retrieval end to end: the search endpoint, its filters and errors,
//! incremental indexing, and the Qdrant cluster backend when one is available.

mod common;

use common::{copy_knowledge, data_with_index, errand, Server};
use serde_json::Value;

fn hits(body: &Value) -> &Vec<Value> {
    body["hits"].as_array().expect("hits array")
}

#[test]
fn search_explains_hits_honours_filters_and_names_bad_parameters() {
    let s = Server::start(&data_with_index("search"), &[]);

    // A local name through the synonyms: jeera is cumin.
    let (status, body) = s.get("/v1/search?q=jeera&kind=product&limit=5", None);
    assert_eq!(status, 200, "{body}");
    let top = &hits(&body)[0];
    assert!(
        top["title"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("cumin"),
        "{body}"
    );
    let why = &top["explanation"];
    assert!(why["fused_score"].as_f64().unwrap() > 0.0, "{why}");
    assert!(
        why["bm25_rank"].is_u64() || why["dense_rank"].is_u64(),
        "{why}"
    );
    // A hit the keyword side found shows where the query matched.
    if why["bm25_rank"].is_u64() {
        assert!(
            top["snippet"].as_str().is_some_and(|s| s.contains("<b>")),
            "{top}"
        );
    }

    // A typo still finds the product.
    let (_, body) = s.get("/v1/search?q=choclate%20cookies&kind=product&limit=5", None);
    assert!(
        hits(&body)
            .iter()
            .any(|h| h["title"].as_str().unwrap().contains("Chocolate")),
        "{body}"
    );

    // Filters hold on every hit, whichever side found it.
    let (status, body) = s.get(
        "/v1/search?q=snacks&kind=product&tags=vegan&price_max=10000&in_stock=true&limit=20",
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert!(!hits(&body).is_empty());
    for h in hits(&body) {
        assert_eq!(h["kind"], "product");
        assert!(
            h["tags"].as_array().unwrap().iter().any(|t| t == "vegan"),
            "{h}"
        );
        assert!(h["price_minor"].as_i64().unwrap() <= 10000, "{h}");
        assert_eq!(h["in_stock"], true);
    }
    let (_, body) = s.get(
        "/v1/search?q=refund%20for%20a%20cold%20pizza&kind=help&limit=3",
        None,
    );
    assert!(hits(&body).iter().all(|h| h["kind"] == "help"));
    assert!(
        hits(&body)[0]["id"].as_str().unwrap().starts_with("help-"),
        "{body}"
    );
    let (_, body) = s.get("/v1/search?q=pizza&merchant=m-slicerepublic&limit=10", None);
    assert!(
        hits(&body)
            .iter()
            .all(|h| h["merchant_id"] == "m-slicerepublic"),
        "{body}"
    );

    for (query, param) in [
        ("/v1/search", "q"),
        ("/v1/search?q=rice&limit=0", "limit"),
        ("/v1/search?q=rice&kind=shoes", "kind"),
        ("/v1/search?q=rice&price_max=-5", "price_max"),
        ("/v1/search?q=rice&price_min=500&price_max=100", "price_min"),
        ("/v1/search?q=rice&in_stock=maybe", "in_stock"),
        ("/v1/search?q=rice&colour=red", "colour"),
    ] {
        let (status, body) = s.get(query, None);
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["code"], "invalid_parameter");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(&format!("`{param}`")),
            "{query}: {body}"
        );
    }
}

/// Runs `errand index` and returns its summary line.
fn index(knowledge: &std::path::Path, data: &std::path::Path, extra: &[&str]) -> String {
    let out = errand()
        .arg("index")
        .arg("--knowledge")
        .arg(knowledge)
        .arg("--data")
        .arg(data)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn reindexing_replaces_changed_products_and_deletes_removed_ones() {
    let knowledge = copy_knowledge();
    let data = data_with_index("reindex");
    assert!(index(&knowledge, &data, &[]).contains(" 0 embedded, 0 deleted"));

    // Change one product and remove one that no past order refers to.
    let catalog = knowledge.join("catalog/products.jsonl");
    let orders = std::fs::read_to_string(knowledge.join("seed/orders.jsonl")).unwrap();
    let mut lines: Vec<Value> = std::fs::read_to_string(&catalog)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let removable = lines
        .iter()
        .position(|p| !orders.contains(&format!("\"{}\"", p["id"].as_str().unwrap())))
        .unwrap();
    let removed = lines.remove(removable)["id"].as_str().unwrap().to_string();
    lines[0]["title"] = "FreshCart Zanzibar Moonberry Jam 200 g".into();
    lines[0]["description"] = "Sweet moonberry jam from Zanzibar, for toast.".into();
    let changed = lines[0]["id"].as_str().unwrap().to_string();
    std::fs::write(
        &catalog,
        lines
            .iter()
            .map(|l| l.to_string() + "\n")
            .collect::<String>(),
    )
    .unwrap();

    let summary = index(&knowledge, &data, &[]);
    assert!(
        summary.contains("keyword index rebuilt, 1 embedded, 1 deleted"),
        "{summary}"
    );
    assert!(
        index(&knowledge, &data, &[]).contains("keyword index unchanged, 0 embedded, 0 deleted")
    );

    let s = Server::start(&data, &["--knowledge", knowledge.to_str().unwrap()]);
    let (_, body) = s.get(
        "/v1/search?q=zanzibar%20moonberry%20jam&mode=dense&limit=3",
        None,
    );
    assert_eq!(hits(&body)[0]["id"], changed.as_str(), "{body}");
    let (_, body) = s.get("/v1/search?q=moonberry&mode=bm25&limit=3", None);
    assert_eq!(hits(&body)[0]["id"], changed.as_str(), "{body}");
    for mode in ["bm25", "dense"] {
        let (_, body) = s.get(
            &format!("/v1/search?q=sona%20masoori%20rice&mode={mode}&limit=100"),
            None,
        );
        assert!(
            hits(&body).iter().all(|h| h["id"] != removed.as_str()),
            "{mode}: {removed} still found"
        );
    }
}

/// Runs only against a real Qdrant cluster: `QDRANT_URL=http://host:6334 make test`.
#[test]
fn cluster_backend_indexes_and_searches_like_the_embedded_one() {
    let Ok(url) = std::env::var("QDRANT_URL") else {
        eprintln!("skipping cluster_backend test: QDRANT_URL is not set (point it at a Qdrant gRPC endpoint to run it)");
        return;
    };
    let data = data_with_index("cluster");
    let summary = index(
        &common::repo().join("knowledge"),
        &data,
        &["--qdrant-url", &url],
    );
    assert!(summary.contains("documents"), "{summary}");
    let s = Server::start(&data, &["--qdrant-url", &url]);
    let (_, body) = s.get("/v1/search?q=jeera&kind=product&mode=dense&limit=5", None);
    assert!(
        hits(&body)[0]["title"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("cumin"),
        "{body}"
    );
    let (_, body) = s.get("/v1/search?q=snacks&tags=vegan&mode=dense&limit=10", None);
    assert!(
        hits(&body)
            .iter()
            .all(|h| h["tags"].as_array().unwrap().iter().any(|t| t == "vegan")),
        "{body}"
    );

    // The cluster finds what the embedded store finds: dense top 10 over the
    // labelled queries, as recall against the embedded store (README, Search).
    let edge = Server::start(&data_with_index("cluster-edge"), &[]);
    let labelled = std::fs::read_to_string(common::repo().join("evals/retrieval/queries.jsonl"))
        .expect("labelled queries");
    let (mut found, mut wanted) = (0, 0);
    for line in labelled.lines().filter(|l| !l.trim().is_empty()) {
        let q: Value = serde_json::from_str(line).unwrap();
        let path = format!(
            "/v1/search?mode=dense&limit=10&q={}",
            q["query"]
                .as_str()
                .unwrap()
                .bytes()
                .map(|b| match b.is_ascii_alphanumeric() {
                    true => (b as char).to_string(),
                    false => format!("%{b:02X}"),
                })
                .collect::<String>()
        );
        let ids = |server: &Server| -> Vec<String> {
            let (status, body) = server.get(&path, None);
            assert_eq!(status, 200, "{path}: {body}");
            hits(&body)
                .iter()
                .map(|h| h["id"].as_str().unwrap().to_string())
                .collect()
        };
        let (theirs, ours) = (ids(&s), ids(&edge));
        wanted += ours.len();
        found += ours.iter().filter(|id| theirs.contains(id)).count();
    }
    let recall = found as f64 / wanted.max(1) as f64;
    eprintln!("cluster dense recall@10 against the embedded store: {recall:.3} ({found}/{wanted})");
    assert!(recall >= 0.95, "recall@10 {recall:.3}");
}
