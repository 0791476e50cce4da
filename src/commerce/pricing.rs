//! Prices a cart: groups lines by merchant, applies offers, fees and taxes,
//! and finds the best "add X more" nudge. Pure: the same cart, customer and
//! date always price the same, so checkout re-prices instead of trusting a
//! client's numbers.

use serde::{Deserialize, Serialize};

use super::money::{allocate, basis_points, format_inr, percent_of};
use crate::knowledge::options::{parse_key, resolve};
use crate::knowledge::{Chosen, Knowledge, Merchant, Offer, OfferKind, OfferScope, Picked};

/// One line of a cart as stored: a product with its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub product_id: String,
    /// The canonical options key ([`crate::knowledge::Chosen::key`]), '' for none.
    pub options: String,
    pub quantity: u32,
}

impl Line {
    /// How the API names this line: the product id, plus `~` and the
    /// options key when the product has options.
    pub fn id(&self) -> String {
        line_id(&self.product_id, &self.options)
    }
}

pub fn line_id(product: &str, options: &str) -> String {
    if options.is_empty() {
        product.to_string()
    } else {
        format!("{product}~{options}")
    }
}

/// Who is buying, when, and with which coupon.
pub struct Context<'a> {
    pub segment: &'a str,
    /// The customer's behavioural segment's `measure:level`s (none before
    /// `errand segments` has placed them).
    pub behaviour: &'a [String],
    pub coupon: Option<&'a str>,
    /// Today, YYYY-MM-DD, for festival windows.
    pub date: &'a str,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Item {
    /// Names this line in `/v1/cart/items/{line_id}` (see [`Line::id`]).
    #[serde(default)]
    pub line_id: String,
    pub product_id: String,
    pub title: String,
    /// Every option group filled in, each with its price delta.
    #[serde(default)]
    pub options: Vec<Picked>,
    /// What differs from the product as it comes ("Large, Oat milk"); '' if nothing.
    #[serde(default)]
    pub options_label: String,
    #[serde(default)]
    pub category: String,
    pub pack: String,
    pub tags: Vec<String>,
    /// The product's price plus its options' deltas.
    pub unit_price_minor: i64,
    pub quantity: u32,
    pub line_total_minor: i64,
}

impl Item {
    /// The options key this line was priced with.
    pub fn options_key(&self) -> String {
        Chosen {
            picks: self.options.clone(),
        }
        .key()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub merchant_id: String,
    pub merchant_name: String,
    pub items: Vec<Item>,
    pub subtotal_minor: i64,
    pub delivery_fee_minor: i64,
    pub packaging_fee_minor: i64,
    /// Discount from this merchant's own offers (funded by the merchant).
    pub merchant_discount_minor: i64,
    /// This merchant's share of cart-level discounts (funded by the platform).
    pub cart_discount_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub min_order_minor: i64,
    /// How much more is needed to reach the merchant's minimum order; 0 when met.
    pub below_minimum_by_minor: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Applied {
    pub offer_id: String,
    pub title: String,
    pub merchant_id: Option<String>,
    pub amount_minor: i64,
    pub help: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Nudge {
    pub offer_id: String,
    pub title: String,
    pub merchant_id: Option<String>,
    pub add_minor: i64,
    /// What the offer would be worth at the threshold.
    pub unlocks_minor: i64,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CouponStatus {
    pub code: String,
    pub applied: bool,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Priced {
    pub currency: &'static str,
    pub groups: Vec<Group>,
    pub item_count: u32,
    pub subtotal_minor: i64,
    pub delivery_fee_minor: i64,
    pub packaging_fee_minor: i64,
    pub discount_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub applied_offers: Vec<Applied>,
    pub coupon: Option<CouponStatus>,
    pub nudge: Option<Nudge>,
}

pub const CURRENCY: &str = "INR";

/// Why an offer does not apply to someone, whatever the cart holds.
fn ineligible(o: &Offer, ctx: &Context) -> Option<String> {
    if !o.active_on(ctx.date) {
        return Some(format!("{} is not running today", o.title));
    }
    if !o.segments.is_empty() && !o.segments.iter().any(|s| s == ctx.segment) {
        return Some(format!(
            "{} is only for {} customers",
            o.title,
            o.segments.join(" or ")
        ));
    }
    if !o.behaviour.iter().all(|b| ctx.behaviour.contains(b)) {
        return Some(format!(
            "{} is only for customers whose orders match {}",
            o.title,
            o.behaviour.join(" and ")
        ));
    }
    if o.code.is_some() && o.code.as_deref() != ctx.coupon {
        return Some("needs its coupon code".into());
    }
    None
}

fn covers(o: &Offer, m: &Merchant) -> bool {
    o.merchant_id.as_deref().is_none_or(|id| id == m.id)
        && (o.merchant_kinds.is_empty() || o.merchant_kinds.contains(&m.kind))
}

/// What `o` is worth on `base` goods with `delivery` fee, ignoring its minimum.
fn value(o: &Offer, base: i64, delivery: i64) -> i64 {
    match o.kind {
        OfferKind::Percent => {
            let v = percent_of(base, o.percent);
            o.max_discount_minor.map_or(v, |cap| v.min(cap))
        }
        OfferKind::Flat => o.amount_minor.min(base),
        OfferKind::FreeDelivery => delivery,
    }
}

/// Prices `lines`. Unknown products, and options the catalog no longer
/// offers, are skipped: callers validate on add.
pub fn price(k: &Knowledge, lines: &[Line], ctx: &Context) -> Priced {
    let mut groups: Vec<Group> = Vec::new();
    let mut merchants: Vec<&Merchant> = Vec::new();
    for line in lines {
        let Some(p) = k.product(&line.product_id) else {
            continue;
        };
        let Ok(chosen) = resolve(p, &parse_key(&line.options)) else {
            continue;
        };
        let Some(m) = k.merchant(&p.merchant_id) else {
            continue;
        };
        let gi = match merchants.iter().position(|x| x.id == m.id) {
            Some(i) => i,
            None => {
                merchants.push(m);
                groups.push(Group {
                    merchant_id: m.id.clone(),
                    merchant_name: m.name.clone(),
                    items: Vec::new(),
                    subtotal_minor: 0,
                    delivery_fee_minor: m.delivery_fee_minor,
                    packaging_fee_minor: m.packaging_fee_minor,
                    merchant_discount_minor: 0,
                    cart_discount_minor: 0,
                    tax_minor: 0,
                    total_minor: 0,
                    min_order_minor: m.min_order_minor,
                    below_minimum_by_minor: 0,
                });
                groups.len() - 1
            }
        };
        let unit = p.price_minor + chosen.delta_minor();
        let line_total = unit * i64::from(line.quantity);
        groups[gi].subtotal_minor += line_total;
        groups[gi].items.push(Item {
            line_id: line.id(),
            product_id: p.id.clone(),
            title: p.title.clone(),
            options_label: chosen.label(),
            options: chosen.picks,
            category: p.category.clone(),
            pack: format!("{} {}", p.pack_size, p.pack_unit),
            tags: p.tags.clone(),
            unit_price_minor: unit,
            quantity: line.quantity,
            line_total_minor: line_total,
        });
    }

    let mut applied = Vec::new();
    let mut nudges: Vec<Nudge> = Vec::new();
    // Merchant offers: the best discount and any free delivery, per merchant.
    for (g, m) in groups.iter_mut().zip(&merchants) {
        g.below_minimum_by_minor = (g.min_order_minor - g.subtotal_minor).max(0);
        let mut best: Option<(&Offer, i64)> = None;
        for o in k.offers.iter().filter(|o| {
            o.scope == OfferScope::Merchant && covers(o, m) && ineligible(o, ctx).is_none()
        }) {
            if g.subtotal_minor < o.min_subtotal_minor {
                let unlocks = value(o, o.min_subtotal_minor, g.delivery_fee_minor);
                nudges.push(nudge(
                    o,
                    Some(&m.id),
                    o.min_subtotal_minor - g.subtotal_minor,
                    unlocks,
                ));
                continue;
            }
            let v = value(o, g.subtotal_minor, g.delivery_fee_minor);
            if o.kind == OfferKind::FreeDelivery {
                if g.delivery_fee_minor > 0 {
                    g.delivery_fee_minor = 0;
                    applied.push(applied_offer(o, Some(&m.id), v));
                }
            } else if best.is_none_or(|(_, b)| v > b) {
                best = Some((o, v));
            }
        }
        if let Some((o, v)) = best.filter(|(_, v)| *v > 0) {
            g.merchant_discount_minor = v;
            applied.push(applied_offer(o, Some(&m.id), v));
        }
    }

    // Cart offers: at most one, the best; the entered coupon competes with automatic ones.
    let goods: i64 = groups
        .iter()
        .map(|g| g.subtotal_minor - g.merchant_discount_minor)
        .sum();
    let mut coupon = ctx.coupon.map(|code| CouponStatus {
        code: code.to_string(),
        applied: false,
        reason: None,
    });
    let mut best: Option<(&Offer, i64)> = None;
    for o in k.offers.iter().filter(|o| o.scope == OfferScope::Cart) {
        let is_coupon = o.code.is_some() && o.code.as_deref() == ctx.coupon;
        if let Some(why) = ineligible(o, ctx) {
            if is_coupon {
                coupon.as_mut().expect("coupon entered").reason = Some(why);
            }
            continue;
        }
        if goods < o.min_subtotal_minor {
            let unlocks = value(o, o.min_subtotal_minor, 0);
            nudges.push(nudge(o, None, o.min_subtotal_minor - goods, unlocks));
            if is_coupon {
                coupon.as_mut().expect("coupon entered").reason = Some(format!(
                    "add {} more to use {}",
                    format_inr(o.min_subtotal_minor - goods),
                    o.code.as_deref().unwrap_or_default()
                ));
            }
            continue;
        }
        let v = value(o, goods, 0);
        if best.is_none_or(|(_, b)| v > b) {
            best = Some((o, v));
        }
    }
    // A merchant coupon (scope merchant with a code) counts as applied if any merchant used it.
    if let Some(c) = coupon.as_mut() {
        let used_by_merchant = applied.iter().any(|a| {
            k.offers
                .iter()
                .any(|o| o.id == a.offer_id && o.code.as_deref() == Some(c.code.as_str()))
        });
        let best_is_coupon = best.is_some_and(|(o, _)| o.code.as_deref() == Some(c.code.as_str()));
        c.applied = used_by_merchant || best_is_coupon;
        if !c.applied && c.reason.is_none() {
            c.reason = Some(match best {
                Some((o, _))
                    if k.offers.iter().any(|x| {
                        x.code.as_deref() == Some(c.code.as_str()) && x.scope == OfferScope::Cart
                    }) =>
                {
                    format!("{} gives you more", o.title)
                }
                _ => "none of the merchants in your cart qualify".into(),
            });
        }
    }
    let cart_discount = best.map_or(0, |(_, v)| v);
    if let Some((o, v)) = best.filter(|(_, v)| *v > 0) {
        applied.push(applied_offer(o, None, v));
    }
    let shares = allocate(
        cart_discount,
        &groups
            .iter()
            .map(|g| g.subtotal_minor - g.merchant_discount_minor)
            .collect::<Vec<_>>(),
    );
    for ((g, share), m) in groups.iter_mut().zip(shares).zip(&merchants) {
        g.cart_discount_minor = share;
        let taxable = g.subtotal_minor - g.merchant_discount_minor - share;
        g.tax_minor = basis_points(taxable, m.tax_bps);
        g.total_minor = taxable + g.delivery_fee_minor + g.packaging_fee_minor + g.tax_minor;
    }

    // The best nudge: a real gain over what applies now, for the least extra spend.
    let best_nudge = nudges
        .into_iter()
        .filter(|n| n.merchant_id.is_some() || n.unlocks_minor > cart_discount)
        .filter(|n| n.unlocks_minor > 0)
        .min_by_key(|n| (n.add_minor, std::cmp::Reverse(n.unlocks_minor)));

    let sum = |f: fn(&Group) -> i64| groups.iter().map(f).sum::<i64>();
    Priced {
        currency: CURRENCY,
        item_count: groups
            .iter()
            .flat_map(|g| &g.items)
            .map(|i| i.quantity)
            .sum(),
        subtotal_minor: sum(|g| g.subtotal_minor),
        delivery_fee_minor: sum(|g| g.delivery_fee_minor),
        packaging_fee_minor: sum(|g| g.packaging_fee_minor),
        discount_minor: sum(|g| g.merchant_discount_minor + g.cart_discount_minor),
        tax_minor: sum(|g| g.tax_minor),
        total_minor: sum(|g| g.total_minor),
        groups,
        applied_offers: applied,
        coupon,
        nudge: best_nudge,
    }
}

fn applied_offer(o: &Offer, merchant: Option<&String>, amount: i64) -> Applied {
    Applied {
        offer_id: o.id.clone(),
        title: o.title.clone(),
        merchant_id: merchant.cloned(),
        amount_minor: amount,
        help: o.help.clone(),
    }
}

fn nudge(o: &Offer, merchant: Option<&String>, add: i64, unlocks: i64) -> Nudge {
    Nudge {
        offer_id: o.id.clone(),
        title: o.title.clone(),
        merchant_id: merchant.cloned(),
        add_minor: add,
        unlocks_minor: unlocks,
        message: format!("Add {} more to unlock: {}", format_inr(add), o.title),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::knowledge::shipped as knowledge;

    fn first_product(k: &Knowledge, merchant: &str, min_price: i64) -> String {
        k.products
            .iter()
            .find(|p| {
                p.merchant_id == merchant
                    && p.price_minor >= min_price
                    && crate::knowledge::options::resolve(p, &Default::default()).is_ok()
            })
            .unwrap()
            .id
            .clone()
    }

    /// The first pizza, large: a size must be chosen, and large clears Slice Republic's offer.
    fn large_pizza(k: &Knowledge, quantity: u32) -> Line {
        let p = k
            .products
            .iter()
            .find(|p| {
                p.merchant_id == "m-slicerepublic" && p.options.iter().any(|g| g.id == "size")
            })
            .unwrap();
        let asked = [("size".to_string(), vec!["large".to_string()])]
            .into_iter()
            .collect();
        Line {
            product_id: p.id.clone(),
            options: resolve(p, &asked).unwrap().key(),
            quantity,
        }
    }

    #[test]
    fn option_deltas_are_priced_and_count_towards_offers() {
        let k = knowledge();
        let large = large_pizza(k, 1);
        let p = k.product(&large.product_id).unwrap();
        let regular = Line {
            options: resolve(
                p,
                &[("size".to_string(), vec!["regular".to_string()])]
                    .into_iter()
                    .collect(),
            )
            .unwrap()
            .key(),
            ..large.clone()
        };
        let chosen = resolve(p, &parse_key(&large.options)).unwrap();
        let priced = price(k, &[large.clone(), regular.clone()], &CTX);
        let items = &priced.groups[0].items;
        assert_eq!(items.len(), 2, "two sizes are two lines");
        assert_eq!(
            items[0].unit_price_minor,
            p.price_minor + chosen.delta_minor()
        );
        assert_eq!(items[0].options_label, "Large 13\"");
        assert_eq!(items[0].line_id, format!("{}~{}", p.id, large.options));
        assert_eq!(items[1].unit_price_minor, p.price_minor);
        assert_eq!(
            priced.subtotal_minor,
            2 * p.price_minor + chosen.delta_minor()
        );
        // The size's price is what lifts the cart over the offer's minimum.
        let small = price(k, &[regular], &CTX);
        let big = price(k, &[large], &CTX);
        let slice = |pr: &Priced| pr.applied_offers.iter().any(|a| a.offer_id == "slice-20");
        assert!(!slice(&small) && slice(&big), "{:?}", big.applied_offers);
        // An option the catalog no longer has leaves the line out, never priced wrong.
        let stale = Line {
            options: "size=huge".into(),
            ..large_pizza(k, 1)
        };
        assert!(price(k, &[stale], &CTX).groups.is_empty());
    }

    const CTX: Context = Context {
        segment: "regular",
        behaviour: &[],
        coupon: None,
        date: "2026-11-22",
    };

    #[test]
    fn groups_add_up_to_the_grand_total() {
        let k = knowledge();
        let lines = vec![
            large_pizza(k, 2),
            Line {
                product_id: first_product(k, "m-crispycoop", 20000),
                options: String::new(),
                quantity: 3,
            },
            Line {
                product_id: first_product(k, "m-freshcart", 10000),
                options: String::new(),
                quantity: 1,
            },
        ];
        let p = price(k, &lines, &CTX);
        assert_eq!(p.groups.len(), 3);
        assert_eq!(
            p.total_minor,
            p.subtotal_minor - p.discount_minor
                + p.delivery_fee_minor
                + p.packaging_fee_minor
                + p.tax_minor
        );
        for g in &p.groups {
            let taxable = g.subtotal_minor - g.merchant_discount_minor - g.cart_discount_minor;
            assert_eq!(
                g.total_minor,
                taxable + g.delivery_fee_minor + g.packaging_fee_minor + g.tax_minor
            );
        }
        // Slice Republic's 20% applies above Rs 599.
        assert!(
            p.applied_offers.iter().any(|a| a.offer_id == "slice-20"),
            "{:?}",
            p.applied_offers
        );
    }

    #[test]
    fn coupons_respect_minimums_and_segments_and_nudges_point_to_the_next_offer() {
        let k = knowledge();
        let small = vec![Line {
            product_id: first_product(k, "m-freshcart", 20000),
            options: String::new(),
            quantity: 1,
        }];
        let p = price(
            k,
            &small,
            &Context {
                coupon: Some("SAVE100"),
                ..CTX
            },
        );
        let c = p.coupon.unwrap();
        assert!(!c.applied && c.reason.unwrap().contains("more to use SAVE100"));
        assert!(p.nudge.is_some());

        let p = price(
            k,
            &small,
            &Context {
                coupon: Some("WELCOME50"),
                ..CTX
            },
        );
        assert!(p.coupon.unwrap().reason.unwrap().contains("only for new"));
        let p = price(
            k,
            &small,
            &Context {
                coupon: Some("WELCOME50"),
                segment: "new",
                ..CTX
            },
        );
        assert!(p.coupon.unwrap().applied);
        assert!(p.discount_minor > 0);

        // Free grocery delivery above Rs 499 from one store.
        let big = vec![Line {
            product_id: first_product(k, "m-freshcart", 20000),
            options: String::new(),
            quantity: 3,
        }];
        let p = price(k, &big, &CTX);
        assert_eq!(p.groups[0].delivery_fee_minor, 0, "{:?}", p.applied_offers);
    }

    #[test]
    fn festival_offers_only_run_in_their_window() {
        let k = knowledge();
        let lines = vec![Line {
            product_id: first_product(k, "m-sugarrush", 30000),
            options: String::new(),
            quantity: 2,
        }];
        let during = price(
            k,
            &lines,
            &Context {
                date: "2026-11-01",
                ..CTX
            },
        );
        let after = price(
            k,
            &lines,
            &Context {
                date: "2026-11-22",
                ..CTX
            },
        );
        assert!(during
            .applied_offers
            .iter()
            .any(|a| a.offer_id == "diwali-sweets-15"));
        assert!(!after
            .applied_offers
            .iter()
            .any(|a| a.offer_id == "diwali-sweets-15"));
    }
}
