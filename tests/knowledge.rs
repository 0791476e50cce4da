//! The shipped knowledge loads and meets its promises; bad files are named
//! with their line and field, by the library and by `errand serve`.

mod common;

use common::{copy_knowledge, edit_line, errand, repo, temp_dir};
use errand::knowledge::{Audience, Knowledge};

#[test]
fn shipped_knowledge_is_valid_and_complete() {
    let k = Knowledge::load(&repo().join("knowledge")).unwrap();
    assert!(k.products.len() >= 3000, "{} products", k.products.len());
    assert!(k.merchants.len() >= 8);
    for cuisine in ["pizza", "fried_chicken", "biryani", "cafe", "dessert"] {
        assert!(
            k.merchants
                .iter()
                .any(|m| m.cuisine.as_deref() == Some(cuisine)),
            "no {cuisine} restaurant"
        );
    }
    for kind in ["grocery", "spice_shop", "bakery"] {
        assert!(k.merchants.iter().any(|m| m.kind == kind), "no {kind}");
    }
    assert!(k.help.len() >= 40);
    assert!(k.help.iter().any(|h| h.audience == Audience::Agent));
    assert!(k.places.len() >= 150);
    assert!(k.customers.len() >= 300);
    assert!(k.orders.len() >= 2000);
    for dish in [
        "chicken-biryani",
        "veg-biryani",
        "dal-tadka",
        "paneer-butter-masala",
        "guacamole",
        "fluffy-pancakes",
    ] {
        assert!(
            k.recipes.iter().any(|r| r.id == dish),
            "recipe {dish} missing"
        );
    }
    let airport = k
        .places
        .iter()
        .find(|p| p.aliases.iter().any(|a| a == "airport"))
        .unwrap();
    assert_eq!(airport.kind, "airport");
    assert!(k.product("p-freshcart-0001").is_some());
}

#[test]
fn bad_files_are_named_with_line_and_field() {
    let dir = copy_knowledge();
    let products = dir.join("catalog/products.jsonl");
    edit_line(&products, 7, "\"price_minor\": ", "\"price_minor\": -");
    let e = Knowledge::load(&dir).unwrap_err();
    assert_eq!(
        (e.line, e.field.as_deref()),
        (Some(7), Some("price_minor")),
        "{e}"
    );
    assert!(e.file.ends_with("catalog/products.jsonl"));

    let dir = copy_knowledge();
    let products = dir.join("catalog/products.jsonl");
    edit_line(&products, 12, "\"stock\": ", "\"stock\": \"lots\", \"x\": ");
    let e = Knowledge::load(&dir).unwrap_err();
    assert_eq!(
        (e.line, e.field.as_deref()),
        (Some(12), Some("stock")),
        "{e}"
    );

    let dir = copy_knowledge();
    edit_line(
        &dir.join("catalog/products.jsonl"),
        3,
        "\"merchant_id\": \"m-",
        "\"merchant_id\": \"m-nope-",
    );
    let e = Knowledge::load(&dir).unwrap_err();
    assert_eq!(
        (e.line, e.field.as_deref()),
        (Some(3), Some("merchant_id")),
        "{e}"
    );

    let dir = copy_knowledge();
    edit_line(&dir.join("places.jsonl"), 5, "\"lat\": ", "\"lat\": 1");
    let e = Knowledge::load(&dir).unwrap_err();
    assert_eq!((e.line, e.field.as_deref()), (Some(5), Some("lat")), "{e}");

    let dir = copy_knowledge();
    edit_line(
        &dir.join("help/refund-policy.md"),
        4,
        "audience = \"agent\"",
        "audience = \"everyone\"",
    );
    let e = Knowledge::load(&dir).unwrap_err();
    assert_eq!(e.line, Some(4), "{e}");
    assert!(e.file.ends_with("help/refund-policy.md"));
}

#[test]
fn serve_refuses_corrupt_knowledge_naming_file_line_and_field() {
    let dir = copy_knowledge();
    edit_line(
        &dir.join("merchants.jsonl"),
        2,
        "\"tax_bps\": ",
        "\"tax_bps\": -",
    );
    let out = errand()
        .args(["serve", "--addr", "127.0.0.1:0", "--knowledge"])
        .arg(&dir)
        .arg("--data")
        .arg(temp_dir("bad-serve"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("merchants.jsonl:2: field `tax_bps`"),
        "{stderr}"
    );
}
