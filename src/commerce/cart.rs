//! The customer's one open cart, across merchants.

use crate::store::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::pricing::{self, Context, Line, Priced};
use super::{invalid, rejected, segment, today, Commerce, CommerceError, Result};
use crate::knowledge::options::{parse_key, resolve};
use crate::knowledge::Selection;
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
        "SELECT product_id, options, quantity FROM cart_items WHERE cart_id = ?1 ORDER BY added_at, rowid",
    )?;
    let rows = st.query_map([cart], |r| {
        Ok(Line {
            product_id: r.get(0)?,
            options: r.get(1)?,
            quantity: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The options key for `asked` on `product`, or a 4xx naming the option.
fn options_key(c: &Commerce, product: &str, asked: &Selection) -> Result<String> {
    let p = c
        .knowledge
        .product(product)
        .ok_or_else(|| invalid("product_id", format!("unknown product `{product}`")))?;
    resolve(p, asked)
        .map(|chosen| chosen.key())
        .map_err(|e| invalid(&e.field(), e.to_string()))
}

/// The lines `reference` names: a line id names one line, a product id
/// every line of that product.
fn find_lines(conn: &Connection, cart: &str, reference: &str) -> Result<Vec<Line>> {
    let found: Vec<Line> = lines(conn, cart)?
        .into_iter()
        .filter(|l| l.id() == reference || l.product_id == reference)
        .collect();
    if found.is_empty() {
        return Err(CommerceError::NotFound(format!("{reference} in the cart")));
    }
    Ok(found)
}

/// The one line `reference` names; a product in two lines needs a line id.
fn find_line(conn: &Connection, cart: &str, reference: &str) -> Result<Line> {
    let mut found = find_lines(conn, cart, reference)?;
    if found.len() > 1 {
        let ids: Vec<String> = found.iter().map(Line::id).collect();
        return Err(invalid(
            "line_id",
            format!(
                "`{reference}` is in {} lines with different options: name one of {}",
                ids.len(),
                ids.join(", ")
            ),
        ));
    }
    Ok(found.remove(0))
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

/// Units of `product` in the cart, over all its lines except `except`'s options.
fn quantity_in_cart(
    conn: &Connection,
    cart: &str,
    product: &str,
    except: Option<&str>,
) -> Result<u32> {
    Ok(conn.query_row(
        "SELECT COALESCE(SUM(quantity), 0) FROM cart_items WHERE cart_id = ?1 AND product_id = ?2 AND options IS DISTINCT FROM ?3",
        params![cart, product, except],
        |r| r.get(0),
    )?)
}

/// Adds `quantity` to the line of `product` with `options`, creating it.
fn add_units(conn: &Connection, cart: &str, line: &Line, added_at: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO cart_items (cart_id, product_id, options, quantity, added_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(cart_id, product_id, options) DO UPDATE SET quantity = cart_items.quantity + excluded.quantity",
        params![cart, line.product_id, line.options, line.quantity, added_at],
    )?;
    Ok(())
}

pub(super) fn view(c: &Commerce, conn: &Connection, customer: &str) -> Result<CartView> {
    let cart = open_cart(conn, customer)?;
    let coupon: Option<String> =
        conn.query_row("SELECT coupon FROM carts WHERE id = ?1", [&cart], |r| {
            r.get(0)
        })?;
    let seg = segment(conn, customer)?;
    let behaviour = super::segments::behaviour(conn, customer)?;
    let lines = lines(conn, &cart)?;
    let date = today();
    let priced = pricing::price(
        &c.knowledge,
        &lines,
        &Context {
            segment: &seg,
            behaviour: &behaviour,
            coupon: coupon.as_deref(),
            date: &date,
        },
    );
    // Stock is per product, whatever the options: count its lines together.
    let mut units: Vec<(&str, u32)> = Vec::new();
    for l in &lines {
        match units.iter_mut().find(|(p, _)| *p == l.product_id) {
            Some((_, n)) => *n += l.quantity,
            None => units.push((&l.product_id, l.quantity)),
        }
    }
    let mut stock_warnings = Vec::new();
    for (product, wanted) in units {
        let left = available(c, conn, product)?;
        if wanted > left {
            stock_warnings.push(format!("{product}: {wanted} in cart, {left} in stock"));
        }
    }
    Ok(CartView {
        cart_id: cart,
        customer_id: customer.to_string(),
        priced,
        stock_warnings,
    })
}

fn set_line_quantity(
    c: &Commerce,
    conn: &Connection,
    cart: &str,
    reference: &str,
    quantity: u32,
) -> Result<()> {
    if quantity == 0 {
        for l in find_lines(conn, cart, reference)? {
            conn.execute(
                "DELETE FROM cart_items WHERE cart_id = ?1 AND product_id = ?2 AND options = ?3",
                params![cart, l.product_id, l.options],
            )?;
        }
        return Ok(());
    }
    let l = find_line(conn, cart, reference)?;
    let others = quantity_in_cart(conn, cart, &l.product_id, Some(&l.options))?;
    check_stock(c, conn, &l.product_id, others.saturating_add(quantity))?;
    conn.execute(
        "UPDATE cart_items SET quantity = ?4 WHERE cart_id = ?1 AND product_id = ?2 AND options = ?3",
        params![cart, l.product_id, l.options, quantity],
    )?;
    Ok(())
}

/// Makes the open cart hold exactly `items` (product id, packs), each made
/// as it comes (default options); the coupon stays. The cart's id.
pub(super) fn replace_lines(
    c: &Commerce,
    conn: &Connection,
    customer: &str,
    items: &[(String, u32)],
) -> Result<String> {
    let cart = open_cart(conn, customer)?;
    conn.execute("DELETE FROM cart_items WHERE cart_id = ?1", [&cart])?;
    let t = now();
    for (i, (product, quantity)) in items.iter().enumerate() {
        let field = format!("line_items[{i}].id");
        if *quantity == 0 {
            return Err(invalid(&field, "quantity must be at least 1"));
        }
        let key = options_key(c, product, &Selection::new())
            .map_err(|e| invalid(&field, e.to_string()))?;
        let total = quantity_in_cart(conn, &cart, product, None)?.saturating_add(*quantity);
        check_stock(c, conn, product, total)?;
        let line = Line {
            product_id: product.clone(),
            options: key,
            quantity: *quantity,
        };
        add_units(conn, &cart, &line, &t)?;
    }
    touch(conn, &cart)?;
    Ok(cart)
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
                .iter()
                .filter(|p| c.knowledge.product(p).is_some())
                .map(|p| Ok((p.clone(), available(c, conn, p)?)))
                .collect()
        })
        .await
    }

    /// Adds `quantity` packs of `product` made with `options` (groups left
    /// out take their defaults) to the same line if there is one.
    pub async fn add_to_cart(
        &self,
        customer: &str,
        product: &str,
        quantity: u32,
        options: &Selection,
    ) -> Result<CartView> {
        if quantity == 0 {
            return Err(invalid("quantity", "must be at least 1"));
        }
        let (customer, product, options) =
            (customer.to_string(), product.to_string(), options.clone());
        self.tx(move |c, conn| {
            let key = options_key(c, &product, &options)?;
            let cart = open_cart(conn, &customer)?;
            let total = quantity_in_cart(conn, &cart, &product, None)?.saturating_add(quantity);
            check_stock(c, conn, &product, total)?;
            let line = Line {
                product_id: product.clone(),
                options: key,
                quantity,
            };
            add_units(conn, &cart, &line, &now())?;
            touch(conn, &cart)?;
            super::experiments::followed(
                conn,
                &customer,
                &[&line.product_id],
                super::experiments::Outcome::AddToCart,
            )?;
            view(c, conn, &customer)
        })
        .await
    }

    /// Sets a line's quantity; 0 removes it. `line` is a line id, or a
    /// product id when the product is in one line (0 removes all its lines).
    pub async fn set_quantity(
        &self,
        customer: &str,
        line: &str,
        quantity: u32,
    ) -> Result<CartView> {
        let (customer, reference) = (customer.to_string(), line.to_string());
        self.tx(move |c, conn| {
            let cart = open_cart(conn, &customer)?;
            set_line_quantity(c, conn, &cart, &reference, quantity)?;
            touch(conn, &cart)?;
            view(c, conn, &customer)
        })
        .await
    }

    /// Changes one line in one step: `options` replace the line's choices
    /// for the groups they name ("make the latte a medium"; the rest stay),
    /// then `quantity` is set on the line as it now is. A line that ends up
    /// like another is merged into it.
    pub async fn update_line(
        &self,
        customer: &str,
        line: &str,
        quantity: Option<u32>,
        options: Option<&Selection>,
    ) -> Result<CartView> {
        let (customer, reference, asked) =
            (customer.to_string(), line.to_string(), options.cloned());
        self.tx(move |c, conn| {
            let cart = open_cart(conn, &customer)?;
            let mut l = find_line(conn, &cart, &reference)?;
            if let Some(asked) = asked.clone() {
                let mut merged = parse_key(&l.options);
                merged.extend(asked);
                let key = options_key(c, &l.product_id, &merged)?;
                if key != l.options {
                    let added_at: String = conn.query_row(
                        "DELETE FROM cart_items WHERE cart_id = ?1 AND product_id = ?2 AND options = ?3 RETURNING added_at",
                        params![cart, l.product_id, l.options],
                        |r| r.get(0),
                    )?;
                    l.options = key;
                    add_units(conn, &cart, &l, &added_at)?;
                }
            }
            touch(conn, &cart)?;
            if let Some(q) = quantity {
                set_line_quantity(c, conn, &cart, &l.id(), q)?;
            }
            view(c, conn, &customer)
        })
        .await
    }

    pub async fn remove_from_cart(&self, customer: &str, line: &str) -> Result<CartView> {
        self.set_quantity(customer, line, 0).await
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
            let behaviour = super::segments::behaviour(conn, &customer)?;
            let date = today();
            Ok(c.knowledge
                .offers
                .iter()
                .filter(|o| {
                    o.active_on(&date)
                        && (o.segments.is_empty() || o.segments.contains(&seg))
                        && o.behaviour.iter().all(|b| behaviour.contains(b))
                })
                .cloned()
                .collect())
        })
        .await
    }
}
