//! Pay once for a cart across merchants: one payment, one order per merchant,
//! and the breakup of who gets what.

use crate::store::{params, Connection};
use serde::{Deserialize, Serialize};

use super::cart::view;
use super::money::basis_points;
use super::payments::{normalise_card, ChargeRequest, PaymentError, SANDBOX_DEFAULT_CARD};
use super::pricing::{Applied, Item};
use super::{idempotent, invalid, new_id, rejected, Commerce, CommerceError, Result};
use crate::store::now;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequest {
    /// Card number; absent uses the customer's saved sandbox card.
    pub card: Option<String>,
    /// Label of one of the customer's addresses; absent uses the first.
    pub address: Option<String>,
    /// The total the customer was shown: any other total is refused as
    /// `terms_changed`, in the transaction that would charge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_total_minor: Option<i64>,
}

/// One merchant's part of a checkout.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderBreakup {
    pub order_id: String,
    pub merchant_id: String,
    pub merchant_name: String,
    pub items: Vec<Item>,
    pub subtotal_minor: i64,
    pub merchant_discount_minor: i64,
    pub cart_discount_share_minor: i64,
    pub delivery_fee_minor: i64,
    pub packaging_fee_minor: i64,
    pub tax_minor: i64,
    /// What the customer pays for this order.
    pub total_minor: i64,
    /// The platform's commission on goods after the merchant's own discount.
    pub commission_minor: i64,
    /// Owed to the merchant: goods after its own discount, packaging and tax,
    /// less commission. Cart-level discounts and delivery are the platform's.
    pub settlement_minor: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckoutResult {
    pub checkout_id: String,
    pub status: String,
    pub currency: String,
    pub total_minor: i64,
    pub payment_id: String,
    pub card_last4: String,
    pub address: String,
    pub orders: Vec<OrderBreakup>,
    pub applied_offers: Vec<Applied>,
}

impl Commerce {
    /// Charges once for the whole open cart and places one order per merchant.
    /// A retry with the same `key` returns the first result and never charges again.
    pub async fn checkout(
        &self,
        customer: &str,
        key: &str,
        req: CheckoutRequest,
    ) -> Result<CheckoutResult> {
        let card = match &req.card {
            Some(c) => {
                normalise_card(c).ok_or_else(|| invalid("card", "not a valid card number"))?
            }
            None => SANDBOX_DEFAULT_CARD.to_string(),
        };
        let (customer, key) = (customer.to_string(), key.to_string());
        self.tx(move |c, conn| {
            let scope = format!("checkout:{customer}");
            idempotent(conn, &scope, &key, &req, || {
                place(c, conn, &customer, &key, &card, &req)
            })
        })
        .await
    }
}

pub(super) fn place(
    c: &Commerce,
    conn: &Connection,
    customer: &str,
    key: &str,
    card: &str,
    req: &CheckoutRequest,
) -> Result<CheckoutResult> {
    let address = req.address.as_deref();
    let cart = view(c, conn, customer)?;
    let p = &cart.priced;
    if p.groups.is_empty() {
        return Err(rejected("cart_empty", "the cart is empty"));
    }
    if let Some(shown) = req.expected_total_minor.filter(|t| *t != p.total_minor) {
        return Err(rejected(
            "terms_changed",
            format!(
                "the cart now comes to {}, not the {} shown",
                super::money::format_inr(p.total_minor),
                super::money::format_inr(shown)
            ),
        ));
    }
    if let Some(g) = p.groups.iter().find(|g| g.below_minimum_by_minor > 0) {
        return Err(rejected(
            "below_minimum",
            format!(
                "{} needs {} more to reach its minimum order",
                g.merchant_name,
                super::money::format_inr(g.below_minimum_by_minor)
            ),
        ));
    }
    if let Some(w) = cart.stock_warnings.first() {
        return Err(rejected(
            "out_of_stock",
            format!("no longer in stock in that quantity: {w}"),
        ));
    }
    let who = super::customer_row(conn, customer)?;
    let addr = match address {
        Some(label) => who
            .addresses
            .iter()
            .find(|a| a.label.eq_ignore_ascii_case(label))
            .ok_or_else(|| {
                let known: Vec<&str> = who.addresses.iter().map(|a| a.label.as_str()).collect();
                invalid(
                    "address",
                    format!("no address labelled `{label}`; yours: {}", known.join(", ")),
                )
            })?,
        None => who
            .addresses
            .first()
            .ok_or_else(|| invalid("address", "there is no saved address to deliver to"))?,
    };

    let checkout_id = new_id("co");
    let t = now();
    let last4 = card[card.len() - 4..].to_string();
    let charge = c.payments.charge(&ChargeRequest {
        amount_minor: p.total_minor,
        currency: p.currency,
        card,
        idempotency_key: key,
    });
    let provider_ref = match charge {
        Ok(r) => r,
        Err(e) => {
            let (code, message) = match e {
                PaymentError::Declined(reason) => (
                    "payment_declined",
                    format!("the card was declined ({reason}); your cart is unchanged"),
                ),
                PaymentError::Timeout => (
                    "payment_timeout",
                    "the payment provider did not answer; retry with the same Idempotency-Key"
                        .to_string(),
                ),
            };
            return Err(CommerceError::Payment { code, message });
        }
    };
    let payment_id = new_id("pay");
    conn.execute(
        "INSERT INTO payments (id, checkout_id, amount_minor, currency, card_last4, status, provider_ref, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'captured', ?6, ?7)",
        params![payment_id, checkout_id, p.total_minor, p.currency, last4, provider_ref, t],
    )?;

    let mut orders = Vec::new();
    for g in &p.groups {
        let goods = g.subtotal_minor - g.merchant_discount_minor;
        let commission = basis_points(goods, c.config.commission_bps);
        orders.push(OrderBreakup {
            order_id: new_id("o"),
            merchant_id: g.merchant_id.clone(),
            merchant_name: g.merchant_name.clone(),
            items: g.items.clone(),
            subtotal_minor: g.subtotal_minor,
            merchant_discount_minor: g.merchant_discount_minor,
            cart_discount_share_minor: g.cart_discount_minor,
            delivery_fee_minor: g.delivery_fee_minor,
            packaging_fee_minor: g.packaging_fee_minor,
            tax_minor: g.tax_minor,
            total_minor: g.total_minor,
            commission_minor: commission,
            settlement_minor: goods + g.packaging_fee_minor + g.tax_minor - commission,
        });
    }
    let result = CheckoutResult {
        checkout_id: checkout_id.clone(),
        status: "paid".into(),
        currency: p.currency.into(),
        total_minor: p.total_minor,
        payment_id,
        card_last4: last4,
        address: format!("{} ({})", addr.line, addr.label),
        orders,
        applied_offers: p.applied_offers.clone(),
    };
    conn.execute(
        "INSERT INTO checkouts (id, customer_id, cart_id, total_minor, currency, status, payment_ref, breakup, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'paid', ?6, ?7, ?8)",
        params![checkout_id, customer, cart.cart_id, p.total_minor, p.currency, provider_ref, serde_json::to_string(&result)?, t],
    )?;
    for o in &result.orders {
        let stuck = super::simulator::plan_stuck(&c.config.simulator, &o.order_id);
        conn.execute(
            "INSERT INTO orders (id, checkout_id, customer_id, merchant_id, address, status, total_minor, placed_at, updated_at, lat, lon, stuck, breakup)
             VALUES (?1, ?2, ?3, ?4, ?5, 'placed', ?6, ?7, ?7, ?8, ?9, ?10, ?11)",
            params![o.order_id, checkout_id, customer, o.merchant_id, result.address, o.total_minor, t, addr.lat, addr.lon, stuck, serde_json::to_string(o)?],
        )?;
        for it in &o.items {
            conn.execute(
                "INSERT INTO order_items (order_id, product_id, options, title, quantity, unit_price_minor) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![o.order_id, it.product_id, it.options_key(), it.title, it.quantity, it.unit_price_minor],
            )?;
            conn.execute(
                "INSERT INTO stock_sold (product_id, sold) VALUES (?1, ?2) ON CONFLICT(product_id) DO UPDATE SET sold = stock_sold.sold + excluded.sold",
                params![it.product_id, it.quantity],
            )?;
        }
        let bought: Vec<&str> = o.items.iter().map(|it| it.product_id.as_str()).collect();
        super::experiments::followed(conn, customer, &bought, super::experiments::Outcome::Order)?;
        super::orders::record(
            conn,
            &o.order_id,
            "placed",
            &format!("customer:{customer}"),
            None,
            &t,
        )?;
    }
    conn.execute(
        "UPDATE carts SET status = 'checked_out', updated_at = ?2 WHERE id = ?1",
        params![cart.cart_id, t],
    )?;
    Ok(result)
}
