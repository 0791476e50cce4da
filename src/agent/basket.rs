//! Product cards and recipe baskets: a varied short list from search hits,
//! and a recipe scaled to servings, mapped ingredient by ingredient to packs.

use serde_json::{json, Value};

use serde::{Deserialize, Serialize};

use super::handlers::{Ctx, Tool};
use crate::knowledge::{Knowledge, Product, Recipe};
use crate::retrieval::{Filters, Hit, Kind, Mode, SearchRequest};

pub fn card(k: &Knowledge, p: &Product) -> Value {
    json!({
        "product_id": p.id,
        "title": p.title,
        "merchant_id": p.merchant_id,
        "merchant_name": k.merchant(&p.merchant_id).map(|m| m.name.as_str()).unwrap_or_default(),
        "pack": format!("{} {}", p.pack_size, p.pack_unit),
        "price_minor": p.price_minor,
        "tags": p.tags,
        "options": p.options,
    })
}

/// The lowercase words of the store's name, which a product's title may repeat.
fn store_words(k: &Knowledge, p: &Product) -> Vec<String> {
    k.merchant(&p.merchant_id)
        .map(|m| {
            m.name
                .to_lowercase()
                .split(' ')
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Title without the store name and pack size: "FreshCart Basmati Rice 5 kg" -> "basmati rice".
pub(super) fn base_title(k: &Knowledge, p: &Product) -> String {
    let store = store_words(k, p);
    p.title
        .to_lowercase()
        .split_whitespace()
        .filter(|w| {
            !store.iter().any(|s| s == w)
                && !w.chars().next().is_some_and(|c| c.is_ascii_digit())
                && !crate::knowledge::PACK_UNITS.contains(w)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The words that name a product: its title without the store's name and
/// the pack size ("7\"", "500 ml", "(8 pc)"), but with the numbers that are
/// part of the name ("Chicken 65"), unlike [`base_title`].
pub(super) fn name_words(k: &Knowledge, p: &Product) -> String {
    let store = store_words(k, p);
    let lower = p.title.to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let unit = |w: &str| {
        crate::knowledge::PACK_UNITS.contains(&w.trim_matches(|c: char| !c.is_alphanumeric()))
    };
    // The store's name as a brand in front ("FreshCart Basmati Rice"), not a
    // word of the dish ("Egg Biryani" at Biryani Darbar).
    let brand = words
        .iter()
        .take_while(|w| store.iter().any(|s| s == *w))
        .count();
    let mut depth = 0usize;
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate().skip(brand) {
        depth += usize::from(w.starts_with('('));
        let inside = depth > 0;
        depth = depth.saturating_sub(usize::from(w.ends_with(')')));
        let size = w.contains('"')
            || unit(w)
            || w.chars().next().is_some_and(|c| c.is_ascii_digit())
                && words.get(i + 1).is_some_and(|n| unit(n));
        if !inside && !size {
            out.push(*w);
        }
    }
    out.join(" ")
}

/// Up to `limit` cards in rank order, one per item (not five sizes of the same
/// chips) and at most two from one category, so a list has some variety.
pub fn varied(k: &Knowledge, hits: &[Hit], limit: usize) -> Vec<Value> {
    let mut seen = std::collections::HashSet::new();
    let mut per_category: std::collections::HashMap<&str, usize> = Default::default();
    let mut out = Vec::new();
    for pass in 0..2 {
        for h in hits {
            let Some(p) = k.product(&h.id) else { continue };
            if out.len() >= limit || !seen.insert((pass, base_title(k, p))) && pass == 0 {
                continue;
            }
            let used = per_category.entry(p.category.as_str()).or_default();
            if pass == 0 && *used >= 2
                || out.iter().any(|c: &Value| c["product_id"] == p.id.as_str())
            {
                continue;
            }
            *used += 1;
            out.push(card(k, p));
        }
    }
    out
}

/// An ingredient line read as quantity, unit and name.
#[derive(Debug, PartialEq)]
pub struct Ingredient {
    pub amount: Option<f64>,
    pub unit: Option<String>,
    pub name: String,
}

pub fn parse_ingredient(line: &str) -> Ingredient {
    let line = line.trim().trim_start_matches(['-', '*', '~', ' ']);
    // "(1/3 lb)" and other asides go; a comma starts the preparation notes.
    let mut plain = String::with_capacity(line.len());
    let mut depth = 0usize;
    for ch in line.chars() {
        match ch {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => plain.push(ch),
            _ => {}
        }
    }
    let line = plain.as_str();
    let cut = line.find([',', ';']).unwrap_or(line.len());
    let mut words: Vec<&str> = line[..cut].split_whitespace().collect();
    let mut amount = None;
    let num = |w: &str| -> Option<f64> {
        let w = w.trim_start_matches('~');
        match w {
            "½" => return Some(0.5),
            "¼" => return Some(0.25),
            "¾" => return Some(0.75),
            _ => {}
        }
        if let Some((a, b)) = w.split_once('/') {
            return Some(a.parse::<f64>().ok()? / b.parse::<f64>().ok()?);
        }
        w.parse().ok()
    };
    // "150g" glued to its unit.
    if let Some(first) = words.first().copied() {
        let split = first.find(|c: char| c.is_alphabetic()).filter(|&i| i > 0);
        if let Some(i) = split.filter(|&i| num(&first[..i]).is_some()) {
            amount = num(&first[..i]);
            words[0] = &first[i..];
        } else if let Some(a) = num(first) {
            amount = Some(a);
            words.remove(0);
            // "1 - 2 L", "1 1/2 cups"
            while words.first().is_some_and(|w| *w == "-" || num(w).is_some()) {
                if let Some(extra) = words.first().and_then(|w| num(w)).filter(|x| *x < 1.0) {
                    amount = amount.map(|a| a + extra);
                }
                words.remove(0);
            }
        }
    }
    let unit = words.first().and_then(|w| {
        super::slots::lexicon()
            .units
            .get(&w.to_lowercase())
            .cloned()
    });
    if unit.is_some() {
        words.remove(0);
    }
    let name = words
        .join(" ")
        .trim_start_matches("of ")
        .trim()
        .trim_end_matches('.')
        .to_lowercase();
    Ingredient { amount, unit, name }
}

/// Grams or millilitres in an amount, where the unit allows.
fn metric(amount: f64, unit: &str) -> Option<f64> {
    Some(match unit {
        "g" | "ml" => amount,
        "kg" | "l" => amount * 1000.0,
        "oz" => amount * 28.35,
        "lb" => amount * 453.6,
        _ => return None,
    })
}

fn packs_needed(ing: &Ingredient, scale: f64, p: &Product) -> u32 {
    let needed = ing
        .unit
        .as_deref()
        .zip(ing.amount)
        .and_then(|(u, a)| metric(a * scale, u));
    let pack = metric(f64::from(p.pack_size), &p.pack_unit);
    match (needed, pack) {
        (Some(n), Some(pk)) if pk > 0.0 => ((n / pk).ceil() as u32).clamp(1, 10),
        _ => 1,
    }
}

/// How many packs of `p` an order for `amount` of `unit` ("2 litres",
/// "500 g", or pieces: "a dozen eggs", "two cappuccinos") takes; `None` when
/// the amount says nothing about packs of this product.
pub(super) fn packs_for(amount: f64, unit: Option<&str>, p: &Product) -> Option<u32> {
    let ing = Ingredient {
        amount: Some(amount),
        unit: unit.map(str::to_string),
        name: String::new(),
    };
    match unit {
        Some(_) => metric(amount, unit?).and(Some(packs_needed(&ing, 1.0, p))),
        // A count of pieces against a pack of pieces ("12 eggs" of a 6-pack).
        None if p.pack_unit == "pc" && p.pack_size > 1 => {
            Some(((amount / f64::from(p.pack_size)).ceil() as u32).clamp(1, 10))
        }
        // As many as asked, up to the most one line takes (tools/add_to_cart.json).
        None => Some((amount.round() as u32).clamp(1, 50)),
    }
}

/// Whether a hit is the ingredient and not merely near it: a shared word, a
/// synonym ("cilantro" finds coriander), or a close embedding.
fn relevant(name: &str, hit: &Hit, p: &Product) -> bool {
    let title = p.title.to_lowercase();
    shares_a_word(name, &p.title)
        || hit
            .explanation
            .expanded_with
            .iter()
            .any(|w| title.contains(w.as_str()))
        || hit.explanation.dense_score.is_some_and(|s| s >= 0.65)
}

/// Plurals count: "tomatoes" names "Tomato 500 g", "onions" names "Onion".
pub(super) fn shares_a_word(name: &str, title: &str) -> bool {
    let title = title.to_lowercase();
    name.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 3)
        .any(|w| {
            [w.strip_suffix("es"), w.strip_suffix('s'), Some(w)]
                .into_iter()
                .flatten()
                .any(|stem| stem.len() >= 3 && title.contains(stem))
        })
}

/// A grocery product that may stand for an ingredient, and how many are left.
struct Candidate<'k> {
    product: &'k Product,
    left: u32,
    /// Its stock lasts less than the reorder lead time at forecast demand.
    running_out: bool,
}

impl Candidate<'_> {
    /// Whether enough is left for the packs the ingredient needs.
    fn enough(&self, ing: &Ingredient, scale: f64) -> bool {
        self.left >= packs_needed(ing, scale, self.product)
    }
}

/// Grocery products relevant to the ingredient, in search order, with live stock.
async fn candidates<'k>(
    ctx: &Ctx<'k>,
    ing: &Ingredient,
    in_stock: bool,
) -> anyhow::Result<Vec<Candidate<'k>>> {
    let k = ctx.knowledge;
    let request = SearchRequest {
        query: ing.name.clone(),
        mode: Mode::Hybrid,
        filters: Filters {
            kind: Some(Kind::Product),
            in_stock,
            ..Default::default()
        },
        limit: 8,
    };
    let products: Vec<&Product> = ctx
        .retriever
        .search(&request)
        .await?
        .iter()
        .filter_map(|h| {
            k.product(&h.id).filter(|p| {
                k.merchant(&p.merchant_id)
                    .is_some_and(|m| m.kind == "grocery" || m.kind == "spice_shop")
                    && relevant(&ing.name, h, p)
            })
        })
        .collect();
    let left = ctx
        .commerce
        .stock_left(products.iter().map(|p| p.id.clone()).collect())
        .await?;
    let mut out = Vec::with_capacity(products.len());
    for product in products {
        let left = left.get(&product.id).copied().unwrap_or(0);
        out.push(Candidate {
            product,
            left,
            running_out: ctx.commerce.running_out(&product.id, left).await?,
        });
    }
    Ok(out)
}

/// The candidate (in search order) that best names the ingredient: most of
/// its words ("ginger garlic paste" is not Ginger), fewest words it does not
/// say ("onions" is Onion, not Spring Onion); then enough in stock; then
/// one not about to run out (the demand outlook's reorder lead time), so an
/// equal product in better supply is taken; then a store already in the
/// basket, for fewer delivery fees; then the cheapest
/// for the amount needed. A choice short of stock means nothing as close has
/// enough.
fn choose<'k>(
    k: &Knowledge,
    ing: &Ingredient,
    scale: f64,
    candidates: &[Candidate<'k>],
    merchants: &[String],
) -> Option<&'k Product> {
    candidates
        .iter()
        .min_by_key(|c| {
            let p = c.product;
            let title = base_title(k, p);
            let covered = ing
                .name
                .split_whitespace()
                .filter(|w| shares_a_word(w, &title))
                .count();
            let extra = title
                .split_whitespace()
                .filter(|w| !shares_a_word(&ing.name, w))
                .count();
            (
                std::cmp::Reverse(covered),
                extra,
                !c.enough(ing, scale),
                c.running_out,
                !merchants.contains(&p.merchant_id),
                i64::from(packs_needed(ing, scale, p)) * p.price_minor,
            )
        })
        .map(|c| c.product)
}

fn is_excluded(ing: &str, product: Option<&Product>, exclude: &[String]) -> bool {
    exclude.iter().any(|x| {
        let x = x.trim_end_matches('s');
        let spices = super::slots::listed(&super::slots::lexicon().spice_words, x);
        (x.len() >= 3 && ing.contains(x))
            || spices
                && product.is_some_and(|p| {
                    p.department.to_lowercase().contains("spice")
                        || p.category.to_lowercase().contains("spice")
                })
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipeArgs {
    recipe: String,
    servings: Option<u32>,
    /// What the customer already has.
    #[serde(default)]
    exclude: Vec<String>,
}

pub(super) struct RecipeBasket;
impl Tool for RecipeBasket {
    const NAME: &'static str = "recipe_basket";
    type Args = RecipeArgs;
    type Output = Value;
    async fn run(ctx: &Ctx<'_>, a: RecipeArgs) -> anyhow::Result<Value> {
        recipe_basket(ctx, a).await
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuggestArgs {
    query: String,
    #[serde(default = "five")]
    limit: usize,
}

fn five() -> usize {
    5
}

/// A recipe suggested: its title, tags and servings.
#[derive(Serialize)]
pub struct Suggestion {
    recipe_id: String,
    title: String,
    tags: Vec<String>,
    servings: Option<u32>,
}

#[derive(Serialize)]
pub struct Suggestions {
    recipes: Vec<Suggestion>,
}

/// "suggest a thai dinner", "got any good dinner ideas": recipes nearest
/// the words (title, tags and ingredients), and nothing is added.
pub(super) struct SuggestRecipes;
impl Tool for SuggestRecipes {
    const NAME: &'static str = "suggest_recipes";
    type Args = SuggestArgs;
    type Output = Suggestions;
    async fn run(ctx: &Ctx<'_>, a: SuggestArgs) -> anyhow::Result<Suggestions> {
        let recipes = recipes_near(ctx, &a.query, a.limit.clamp(1, 10))
            .await?
            .into_iter()
            .map(|r| Suggestion {
                recipe_id: r.id.clone(),
                title: r.title.clone(),
                tags: r.tags.clone(),
                servings: r.servings,
            })
            .collect();
        Ok(Suggestions { recipes })
    }
}

/// The recipes hybrid search finds nearest `query`, best first.
async fn recipes_near<'k>(
    ctx: &Ctx<'k>,
    query: &str,
    limit: usize,
) -> anyhow::Result<Vec<&'k Recipe>> {
    let hits = ctx
        .retriever
        .search(&SearchRequest {
            query: query.into(),
            mode: Mode::Hybrid,
            filters: Filters {
                kind: Some(Kind::Recipe),
                ..Default::default()
            },
            limit,
        })
        .await?;
    Ok(hits
        .iter()
        .filter_map(|h| {
            let id = h.id.strip_prefix("recipe:")?;
            ctx.knowledge.recipes.iter().find(|r| r.id == id)
        })
        .collect())
}

async fn recipe_basket(ctx: &Ctx<'_>, args: RecipeArgs) -> anyhow::Result<Value> {
    let k = ctx.knowledge;
    let query = args.recipe.as_str();
    // The recipe must be the dish asked for: "unicorn stew" is not any stew.
    let Some(recipe) = recipes_near(ctx, query, 3)
        .await?
        .into_iter()
        .find(|r| names_dish(&r.title, query))
    else {
        return Ok(json!({ "found": false }));
    };
    let base = recipe.servings.unwrap_or(4).max(1);
    let servings = args.servings.unwrap_or(base);
    let scale = f64::from(servings) / f64::from(base);
    let exclude: Vec<String> = args.exclude.iter().map(|e| e.to_lowercase()).collect();
    let (mut matched, mut substituted, mut skipped, mut missing) = (vec![], vec![], vec![], vec![]);
    let mut merchants: Vec<String> = Vec::new();
    for line in &recipe.ingredients {
        let ing = parse_ingredient(line);
        if ing.name.is_empty() || ing.name.contains("water") {
            continue;
        }
        if is_excluded(&ing.name, None, &exclude) {
            skipped.push(json!(line));
            continue;
        }
        let close = candidates(ctx, &ing, false).await?;
        let Some(best) = choose(k, &ing, scale, &close, &merchants) else {
            missing.push(json!(line));
            continue;
        };
        if is_excluded(&ing.name, Some(best), &exclude) {
            skipped.push(json!(line));
            continue;
        }
        let enough = |c: &Candidate<'_>| c.enough(&ing, scale);
        let (product, substitute) = if close.iter().any(|c| c.product.id == best.id && enough(c)) {
            (best, false)
        } else {
            // Nothing as close has enough: look further, among what is in stock.
            let mut alt = candidates(ctx, &ing, true).await?;
            alt.retain(enough);
            match choose(k, &ing, scale, &alt, &merchants) {
                Some(a) => (a, true),
                None => {
                    missing.push(json!(line));
                    continue;
                }
            }
        };
        let quantity = packs_needed(&ing, scale, product);
        if ctx
            .commerce
            .add_to_cart(ctx.customer, &product.id, quantity, &Default::default())
            .await
            .is_err()
        {
            missing.push(json!(line));
            continue;
        }
        if !merchants.contains(&product.merchant_id) {
            merchants.push(product.merchant_id.clone());
        }
        let entry =
            json!({ "ingredient": line, "product": card(k, product), "quantity": quantity });
        if substitute {
            substituted.push(json!({ "ingredient": line, "instead_of": best.title, "product": card(k, product), "quantity": quantity }));
        } else {
            matched.push(entry);
        }
    }
    Ok(json!({
        "found": true,
        "recipe": { "id": recipe.id, "title": recipe.title, "servings": servings, "base_servings": base },
        "matched": matched,
        "substituted": substituted,
        "skipped": skipped,
        "missing": missing,
        "cart": ctx.commerce.cart(ctx.customer).await?,
    }))
}

/// Whether every word of the dish asked for appears in a recipe title, allowing
/// plurals and small typos ("brownies", "biriyani").
fn names_dish(title: &str, query: &str) -> bool {
    let title: Vec<String> = crate::agent::slots::words(title);
    let close = |a: &str, b: &str| {
        let prefix = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
        prefix >= 4
            || a == b
            || (a.len() >= 5 && b.len() >= 5 && crate::agent::slots::edit_distance(a, b) <= 2)
    };
    let asked: Vec<String> = crate::agent::slots::words(query)
        .into_iter()
        .filter(|w| w.len() >= 3)
        .collect();
    !asked.is_empty() && asked.iter().all(|q| title.iter().any(|t| close(q, t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ingredient_lines_parse() {
        let i = parse_ingredient("- 500 g basmati rice");
        assert_eq!(
            (i.amount, i.unit.as_deref(), i.name.as_str()),
            (Some(500.0), Some("g"), "basmati rice")
        );
        let i = parse_ingredient("~150g (1/3 lb) bacon cubes");
        assert_eq!(
            (i.amount, i.unit.as_deref(), i.name.as_str()),
            (Some(150.0), Some("g"), "bacon cubes")
        );
        let i = parse_ingredient("3 onions, thinly sliced");
        assert_eq!(
            (i.amount, i.unit, i.name.as_str()),
            (Some(3.0), None, "onions")
        );
        let i = parse_ingredient("1/2 cup mint leaves");
        assert_eq!(
            (i.amount, i.unit.as_deref(), i.name.as_str()),
            (Some(0.5), Some("cup"), "mint leaves")
        );
    }

    #[test]
    fn an_equal_product_in_better_supply_beats_one_about_to_run_out() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        let k = Knowledge::load(&root).unwrap();
        let ing = parse_ingredient("- 2 onions");
        let candidate = |id: &str, running_out| Candidate {
            product: k.product(id).unwrap(),
            left: 50,
            running_out,
        };
        // Nature's Pantry is the cheapest onion; running out, it gives way.
        let both = [
            candidate("p-naturespantry-0142", false),
            candidate("p-greenbasket-0164", false),
        ];
        assert_eq!(
            choose(&k, &ing, 1.0, &both, &[]).unwrap().id,
            "p-naturespantry-0142"
        );
        let short = [
            candidate("p-naturespantry-0142", true),
            candidate("p-greenbasket-0164", false),
        ];
        assert_eq!(
            choose(&k, &ing, 1.0, &short, &[]).unwrap().id,
            "p-greenbasket-0164"
        );
    }

    #[test]
    fn plural_ingredients_name_singular_products() {
        assert!(super::shares_a_word(
            "tomatoes, chopped",
            "FreshCart Tomato 500 g"
        ));
        assert!(super::shares_a_word("2 onions", "QuickMart Onion 1 kg"));
        assert!(!super::shares_a_word("tomatoes", "FreshCart Onion 1 kg"));
    }

    #[test]
    fn a_recipe_must_name_the_dish() {
        assert!(super::names_dish("Chicken Biryani", "chicken biriyani"));
        assert!(super::names_dish("Chocolate Brownies", "chocolate brownie"));
        assert!(super::names_dish("Fresh Guacamole", "guacamole"));
        assert!(!super::names_dish(
            "Carbonade Flamande (beef stew)",
            "unicorn stew"
        ));
        assert!(!super::names_dish("Chocolate Brownies", "brownie sundae"));
    }
}
