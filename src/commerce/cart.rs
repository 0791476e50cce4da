//! The customer's one open cart, across merchants.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::pricing::{self, Context, Line, Priced};
use super::{invalid, rejected, segment, today, Commerce, CommerceError, Result};
use crate::store::now;

#[derive(Debug, Clone, Serialize)]
pub struct CartView {
    pub cart_id: String,
    pub customer_id: String,
    #[serde(flatten)]
    pub priced: Priced,
    /// Lines whose quantity is now above what is in stock.
    pub stock_warnings: Vec<String>,
}

/// The open cart's id, creating the cart if there is none.
pub(super) fn open_cart(conn: &Connection, customer: &str) -> Result<String> {
    segment(conn, customer)?; // the customer must exist
    let existing: Option<String> = conn
        .query_row(
            "SELECT id FROM carts WHERE customer_id = ?1 AND status = 'open'",
            [customer],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let id = super::new_id("cart");
    let t = now();
    conn.execute(
        "INSERT INTO carts (id, customer_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
        params![id, customer, t],
    )?;
    Ok(id)
}

pub(super) fn lines(conn: &Connection, cart: &str) -> Result<Vec<Line>> {
    let mut st = conn.prepare(
        "SELECT product_id, quantity FROM cart_items WHERE cart_id = ?1 ORDER BY added_at, rowid",
    )?;
    let rows = st.query_map([cart], |r| {
        Ok(Line {
            product_id: r.get(0)?,
            quantity: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Units of `product` that can still be sold.
pub(super) fn available(c: &Commerce, conn: &Connection, product: &str) -> Result<u32> {
    let p = c
        .knowledge
        .product(product)
        .ok_or_else(|| invalid("product_id", format!("unknown product `{product}`")))?;
    let sold: i64 = conn
        .query_row(
            "SELECT sold FROM stock_sold WHERE product_id = ?1",
            [product],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    Ok((i64::from(p.stock) - sold).max(0) as u32)
}

fn check_stock(c: &Commerce, conn: &Connection, product: &str, wanted: u32) -> Result<()> {
    let left = available(c, conn, product)?;
    if wanted > left {
        let title = c
            .knowledge
            .product(product)
            .map_or(product, |p| p.title.as_str());
        return Err(rejected(
            "out_of_stock",
            format!("only {left} of {title} in stock, {wanted} requested"),
        ));
    }
    Ok(())
}

fn quantity_in_cart(conn: &Connection, cart: &str, product: &str) -> Result<u32> {
    Ok(conn
        .query_row(
            "SELECT quantity FROM cart_items WHERE cart_id = ?1 AND product_id = ?2",
            [cart, product],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0))
}

pub(super) fn view(c: &Commerce, conn: &Connection, customer: &str) -> Result<CartView> {
    let cart = open_cart(conn, customer)?;
    let coupon: Option<String> =
        conn.query_row("SELECT coupon FROM carts WHERE id = ?1", [&cart], |r| {
            r.get(0)
        })?;
    let seg = segment(conn, customer)?;
    let lines = lines(conn, &cart)?;
    let date = today();
    let priced = pricing::price(
        &c.knowledge,
        &lines,
        &Context {
            segment: &seg,
            coupon: coupon.as_deref(),
            date: &date,
        },
    );
    let mut stock_warnings = Vec::new();
    for l in &lines {
        let left = available(c, conn, &l.product_id)?;
        if l.quantity > left {
            stock_warnings.push(format!(
                "{}: {} in cart, {left} in stock",
                l.product_id, l.quantity
            ));
        }
    }
    Ok(CartView {
        cart_id: cart,
        customer_id: customer.to_string(),
        priced,
        stock_warnings,
    })
}

fn touch(conn: &Connection, cart: &str) -> Result<()> {
    conn.execute(
        "UPDATE carts SET updated_at = ?2 WHERE id = ?1",
        params![cart, now()],
    )?;
    Ok(())
}

impl Commerce {
    pub async fn cart(&self, customer: &str) -> Result<CartView> {
        let customer = customer.to_string();
        self.tx(move |c, conn| view(c, conn, &customer)).await
    }

    /// Units of each product that can still be sold; unknown ids are left out.
    pub async fn stock_left(
        &self,
        products: Vec<String>,
    ) -> Result<std::collections::HashMap<String, u32>> {
        self.tx(move |c, conn| {
            products
                .into_iter()
                .filter(|p| c.knowledge.product(p).is_some())
                .map(|p| Ok((p.clone(), available(c, conn, &p)?)))
                .collect()
        })
        .await
    }

    /// Adds `quantity` packs (to any already in the cart).
    pub async fn add_to_cart(
        &self,
        customer: &str,
        product: &str,
        quantity: u32,
    ) -> Result<CartView> {
        if quantity == 0 {
            return Err(invalid("quantity", "must be at least 1"));
        }
        let (customer, product) = (customer.to_string(), product.to_string());
        self.tx(move |c, conn| {
            let cart = open_cart(conn, &customer)?;
            let total = quantity_in_cart(conn, &cart, &product)?.saturating_add(quantity);
            check_stock(c, conn, &product, total)?;
            conn.execute(
                "INSERT INTO cart_items (cart_id, product_id, quantity, added_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(cart_id, product_id) DO UPDATE SET quantity = excluded.quantity",
                params![cart, product, total, now()],
            )?;
            touch(conn, &cart)?;
            view(c, conn, &customer)
        })
        .await
    }

    /// Sets a line's quantity; 0 removes it.
    pub async fn set_quantity(
        &self,
        customer: &str,
        product: &str,
        quantity: u32,
    ) -> Result<CartView> {
        let (customer, product) = (customer.to_string(), product.to_string());
        self.tx(move |c, conn| {
            let cart = open_cart(conn, &customer)?;
            if quantity_in_cart(conn, &cart, &product)? == 0 {
                return Err(CommerceError::NotFound(format!("{product} in the cart")));
            }
            if quantity == 0 {
                conn.execute(
                    "DELETE FROM cart_items WHERE cart_id = ?1 AND product_id = ?2",
                    [&cart, &product],
                )?;
            } else {
                check_stock(c, conn, &product, quantity)?;
                conn.execute(
                    "UPDATE cart_items SET quantity = ?3 WHERE cart_id = ?1 AND product_id = ?2",
                    params![cart, product, quantity],
                )?;
            }
            touch(conn, &cart)?;
            view(c, conn, &customer)
        })
        .await
    }

    pub async fn remove_from_cart(&self, customer: &str, product: &str) -> Result<CartView> {
        self.set_quantity(customer, product, 0).await
    }

    /// Empties the cart and forgets its coupon.
    pub async fn clear_cart(&self, customer: &str) -> Result<CartView> {
        let customer = customer.to_string();
        self.tx(move |c, conn| {
            let cart = open_cart(conn, &customer)?;
            conn.execute("DELETE FROM cart_items WHERE cart_id = ?1", [&cart])?;
            conn.execute("UPDATE carts SET coupon = NULL WHERE id = ?1", [&cart])?;
            view(c, conn, &customer)
        })
        .await
    }

    /// Enters a coupon code (case-insensitive); `None` removes it. The cart
    /// view says whether it applies and, if not, why.
    pub async fn set_coupon(&self, customer: &str, code: Option<&str>) -> Result<CartView> {
        let code = code.map(|c| c.trim().to_uppercase());
        if let Some(code) = &code {
            if !self
                .knowledge
                .offers
                .iter()
                .any(|o| o.code.as_deref() == Some(code))
            {
                return Err(invalid("code", format!("unknown coupon `{code}`")));
            }
        }
        let customer = customer.to_string();
        self.tx(move |c, conn| {
            let cart = open_cart(conn, &customer)?;
            conn.execute(
                "UPDATE carts SET coupon = ?2 WHERE id = ?1",
                params![cart, code],
            )?;
            view(c, conn, &customer)
        })
        .await
    }

    /// Offers running today for this customer, coupon codes included.
    pub async fn offers(&self, customer: &str) -> Result<Vec<crate::knowledge::Offer>> {
        let customer = customer.to_string();
        self.tx(move |c, conn| {
            let seg = segment(conn, &customer)?;
            let date = today();
            Ok(c.knowledge
                .offers
                .iter()
                .filter(|o| {
                    o.active_on(&date) && (o.segments.is_empty() || o.segments.contains(&seg))
                })
                .cloned()
                .collect())
        })
        .await
    }
}
