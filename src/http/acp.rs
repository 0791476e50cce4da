//! Agentic Commerce Protocol checkout (spec 2026-04-17): `/checkout_sessions`
//! create, retrieve, update, complete and cancel, mapped onto the customer's
//! cart and the pay-once checkout (`commerce::agentic`). Errors use the
//! protocol's flat shape `{type, code, message, param}`; problems a buyer can
//! fix (below a store's minimum, out of stock) are `messages` on a 2xx.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Sha256;

use super::extract::{ApiPath, Caller};
use super::{ApiError, AppState};
use crate::commerce::{CartView, CommerceError, SessionItem, SessionStatus, SessionView};

pub const API_VERSION: &str = "2026-04-17";
/// How far a signed request's timestamp may be from now (the spec's 5 minutes).
const SIGNATURE_TOLERANCE_SECS: i64 = 300;
/// Errand pays with the customer's saved card: the one payment handler offered.
const HANDLER: &str = "errand_saved_card";

/// An error in the protocol's shape, with the status it travels with.
pub struct AcpError {
    status: StatusCode,
    code: String,
    message: String,
    param: Option<String>,
}

impl AcpError {
    fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        AcpError {
            status,
            code: code.into(),
            message: message.into(),
            param: None,
        }
    }

    fn bad(code: &str, message: impl Into<String>, param: &str) -> Self {
        AcpError {
            param: Some(param.into()),
            ..AcpError::new(StatusCode::BAD_REQUEST, code, message)
        }
    }
}

impl IntoResponse for AcpError {
    fn into_response(self) -> Response {
        let kind = match self.status.as_u16() {
            503 => "service_unavailable",
            500.. => "processing_error",
            _ => "invalid_request",
        };
        let mut body = json!({ "type": kind, "code": self.code, "message": self.message });
        if let Some(p) = self.param {
            body["param"] = json!(p);
        }
        let mut res = (self.status, Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("5"),
            );
        }
        res
    }
}

impl From<ApiError> for AcpError {
    /// Everything the rest of the API refuses keeps its status and code;
    /// internal detail was already logged and never reaches the body.
    fn from(e: ApiError) -> Self {
        AcpError::new(e.status, e.code, e.message)
    }
}

impl From<CommerceError> for AcpError {
    fn from(e: CommerceError) -> Self {
        match e {
            CommerceError::Invalid { field, message } => AcpError::bad(
                "invalid",
                format!("`{field}`: {message}"),
                &format!("$.{field}"),
            ),
            CommerceError::Rejected {
                code: "idempotency_key_reused",
                ..
            } => AcpError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_conflict",
                "Idempotency-Key has already been used with a different request body",
            ),
            other => ApiError::from(other).into(),
        }
    }
}

/// The checks every request passes: a customer's token, the API version,
/// the signature when a secret is configured, and on POST an idempotency key.
fn prelude(
    s: &AppState,
    who: Result<Caller, ApiError>,
    headers: &HeaderMap,
    body: &[u8],
    post: bool,
) -> Result<(String, String), AcpError> {
    let me = who?.customer()?.to_string();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match header("api-version") {
        Some(API_VERSION) => {}
        Some(v) => {
            return Err(AcpError::bad(
                "unsupported_api_version",
                format!("API-Version `{v}` is not supported; this server speaks {API_VERSION}"),
                "API-Version",
            ))
        }
        None => {
            return Err(AcpError::bad(
                "api_version_required",
                format!("the API-Version header is required ({API_VERSION})"),
                "API-Version",
            ))
        }
    }
    let secret = &s.app.config.auth.acp_signing_secret;
    if !secret.is_empty() {
        verify_signature(secret.as_bytes(), header("signature"), body)?;
    }
    let key = header("idempotency-key").map(str::trim).unwrap_or_default();
    if post && (key.is_empty() || key.len() > 200) {
        return Err(AcpError::bad(
            "idempotency_key_required",
            "Idempotency-Key header is required (1 to 200 characters)",
            "Idempotency-Key",
        ));
    }
    Ok((me, key.to_string()))
}

/// `Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`, within
/// five minutes of now, so a captured request cannot be replayed later.
fn verify_signature(secret: &[u8], header: Option<&str>, body: &[u8]) -> Result<(), AcpError> {
    let unsigned = |m: &str| AcpError::new(StatusCode::UNAUTHORIZED, "invalid_signature", m);
    let header = header.ok_or_else(|| unsigned("the Signature header is required"))?;
    let field = |k: &str| {
        header
            .split(',')
            .filter_map(|p| p.trim().split_once('='))
            .find(|(name, _)| *name == k)
            .map(|(_, v)| v)
    };
    let (Some(t), Some(v1)) = (field("t"), field("v1")) else {
        return Err(unsigned("Signature must be `t=<unix seconds>,v1=<hex>`"));
    };
    let at: i64 = t
        .parse()
        .map_err(|_| unsigned("Signature t is not a unix time"))?;
    if (chrono::Utc::now().timestamp() - at).abs() > SIGNATURE_TOLERANCE_SECS {
        return Err(unsigned(
            "the signature's timestamp is outside the allowed window",
        ));
    }
    let sig = hex::decode(v1).map_err(|_| unsigned("Signature v1 is not hex"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&sig)
        .map_err(|_| unsigned("the signature does not match the request"))
}

/// The protocol's `Item`, with `quantity` (default 1) beside it.
#[derive(Deserialize)]
struct Item {
    id: String,
    #[serde(default = "one")]
    quantity: u32,
}

fn one() -> u32 {
    1
}

#[derive(Deserialize)]
struct Create {
    line_items: Option<Vec<Item>>,
    /// The spec's older name for `line_items`.
    items: Option<Vec<Item>>,
}

#[derive(Deserialize)]
struct Update {
    line_items: Option<Vec<Item>>,
    items: Option<Vec<Item>>,
    #[serde(default)]
    selected_fulfillment_options: Vec<Value>,
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AcpError> {
    serde_json::from_slice(body).map_err(|e| {
        AcpError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("invalid request body: {e}"),
        )
    })
}

fn items(line_items: Option<Vec<Item>>) -> Option<Vec<SessionItem>> {
    line_items.map(|v| {
        v.into_iter()
            .map(|i| SessionItem {
                id: i.id,
                quantity: i.quantity,
            })
            .collect()
    })
}

pub async fn create(
    State(s): State<AppState>,
    who: Result<Caller, ApiError>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AcpError> {
    let (me, key) = prelude(&s, who, &headers, &body, true)?;
    let req: Create = parse(&body)?;
    let items = items(req.line_items.or(req.items))
        .ok_or_else(|| AcpError::bad("missing", "line_items is required", "$.line_items"))?;
    let view = s.app.commerce.open_session(&me, &key, items).await?;
    Ok((StatusCode::CREATED, answer(&view, &key)).into_response())
}

pub async fn get(
    State(s): State<AppState>,
    who: Result<Caller, ApiError>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, AcpError> {
    let (me, _) = prelude(&s, who, &headers, b"", false)?;
    let view = s.app.commerce.session(&me, &id).await?;
    Ok(answer(&view, ""))
}

pub async fn update(
    State(s): State<AppState>,
    who: Result<Caller, ApiError>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Result<Response, AcpError> {
    let (me, key) = prelude(&s, who, &headers, &body, true)?;
    let req: Update = parse(&body)?;
    // One delivery per store, chosen for the buyer: only those options exist.
    let current = s.app.commerce.session(&me, &id).await?;
    let offered = fulfillment(current.cart.as_ref());
    for (i, o) in req.selected_fulfillment_options.iter().enumerate() {
        let option = o["option_id"].as_str().unwrap_or_default();
        if !offered.iter().any(|f| f["id"] == option) {
            return Err(AcpError::bad(
                "invalid",
                format!("no fulfillment option `{option}` in this session"),
                &format!("$.selected_fulfillment_options[{i}].option_id"),
            ));
        }
    }
    let items = items(req.line_items.or(req.items));
    let view = s.app.commerce.update_session(&me, &id, &key, items).await?;
    Ok(answer(&view, &key))
}

pub async fn complete(
    State(s): State<AppState>,
    who: Result<Caller, ApiError>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Result<Response, AcpError> {
    let (me, key) = prelude(&s, who, &headers, &body, true)?;
    let req: Value = parse(&body)?;
    let credential = &req["payment_data"]["instrument"]["credential"]["token"];
    if credential.as_str().is_none_or(str::is_empty) {
        return Err(AcpError::bad(
            "missing",
            "payment_data with an instrument credential is required",
            "$.payment_data",
        ));
    }
    let view = s.app.commerce.complete_session(&me, &id, &key).await?;
    Ok(answer(&view, &key))
}

pub async fn cancel(
    State(s): State<AppState>,
    who: Result<Caller, ApiError>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Result<Response, AcpError> {
    let (me, key) = prelude(&s, who, &headers, &body, true)?;
    let view = s.app.commerce.cancel_session(&me, &id, &key).await?;
    Ok(answer(&view, &key))
}

fn answer(view: &SessionView, key: &str) -> Response {
    let mut res = Json(session(view)).into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(key) {
        if !key.is_empty() {
            res.headers_mut().insert("idempotency-key", v);
        }
    }
    res
}

fn total(kind: &str, text: &str, amount: i64) -> Value {
    json!({ "type": kind, "display_text": text, "amount": amount })
}

/// One local delivery per store in the cart.
fn fulfillment(cart: Option<&CartView>) -> Vec<Value> {
    cart.map(|c| &c.priced.groups[..])
        .unwrap_or_default()
        .iter()
        .map(|g| {
            json!({
                "type": "local_delivery",
                "id": format!("delivery-{}", g.merchant_id),
                "title": format!("Delivery from {}", g.merchant_name),
                "totals": [total("total", "Delivery", g.delivery_fee_minor)],
            })
        })
        .collect()
}

/// The session in the protocol's shape.
fn session(v: &SessionView) -> Value {
    let cart = v.cart.as_ref();
    let mut messages = Vec::new();
    let mut line_items = Vec::new();
    let mut selected = Vec::new();
    if let Some(c) = cart {
        for g in &c.priced.groups {
            let ids: Vec<&str> = g.items.iter().map(|i| i.line_id.as_str()).collect();
            selected.push(json!({
                "type": "local_delivery",
                "option_id": format!("delivery-{}", g.merchant_id),
                "item_ids": ids,
            }));
            for i in &g.items {
                line_items.push(json!({
                    "id": i.line_id,
                    "item": { "id": i.product_id },
                    "quantity": i.quantity,
                    "name": i.title,
                    "unit_amount": i.unit_price_minor,
                    "custom_attributes": [
                        { "display_name": "Store", "value": g.merchant_name },
                        { "display_name": "Pack", "value": i.pack },
                    ],
                    "totals": [
                        total("items_base_amount", "Base amount", i.line_total_minor),
                        total("total", "Total", i.line_total_minor),
                    ],
                }));
            }
            if g.below_minimum_by_minor > 0 {
                messages.push(error_message(
                    "minimum_not_met",
                    format!(
                        "{} has a minimum order of {}: add {} more from it",
                        g.merchant_name,
                        crate::commerce::money::format_inr(g.min_order_minor),
                        crate::commerce::money::format_inr(g.below_minimum_by_minor)
                    ),
                ));
            }
        }
        for w in &c.stock_warnings {
            messages.push(error_message("out_of_stock", w.clone()));
        }
    }
    let status = match v.status {
        SessionStatus::Open
            if cart.is_some_and(|c| !c.priced.groups.is_empty()) && messages.is_empty() =>
        {
            "ready_for_payment"
        }
        SessionStatus::Open => "not_ready_for_payment",
        SessionStatus::Completed => "completed",
        SessionStatus::Canceled => "canceled",
        SessionStatus::Expired => "expired",
    };
    let totals = match (cart, &v.result) {
        (Some(c), _) => {
            let p = &c.priced;
            vec![
                total("items_base_amount", "Items", p.subtotal_minor),
                total("discount", "Discount", p.discount_minor),
                total("subtotal", "Subtotal", p.subtotal_minor - p.discount_minor),
                total("fulfillment", "Delivery", p.delivery_fee_minor),
                total("fee", "Packaging", p.packaging_fee_minor),
                total("tax", "Tax", p.tax_minor),
                total("total", "Total", p.total_minor),
            ]
        }
        (None, Some(r)) => vec![total("total", "Total", r.total_minor)],
        (None, None) => vec![],
    };
    let mut out = json!({
        "id": v.id,
        "protocol": { "version": API_VERSION },
        "capabilities": { "payment": { "handlers": [{
            "id": HANDLER,
            "name": "dev.errand.saved_card",
            "display_name": "Saved card",
            "version": API_VERSION,
            "requires_delegate_payment": false,
            "requires_pci_compliance": false,
        }]}},
        "status": status,
        "currency": "inr",
        "line_items": line_items,
        "totals": totals,
        "fulfillment_options": fulfillment(cart),
        "selected_fulfillment_options": selected,
        "messages": messages,
        "links": [{ "type": "terms_of_use", "url": "/v1/help/help-refunds" }],
        "created_at": v.created_at,
        "updated_at": v.updated_at,
    });
    if let Some(r) = &v.result {
        // One payment, one order per store: the breakup sums to the total.
        let orders: Vec<Value> = r
            .orders
            .iter()
            .map(|o| json!({ "order_id": o.order_id, "merchant_id": o.merchant_id, "merchant_name": o.merchant_name, "total_minor": o.total_minor }))
            .collect();
        out["order"] = json!({
            "id": r.checkout_id,
            "checkout_session_id": v.id,
            "order_number": r.checkout_id,
            "status": "confirmed",
            "currency": "inr",
            "total": r.total_minor,
            "permalink_url": format!("/v1/orders/{}", r.orders.first().map(|o| o.order_id.as_str()).unwrap_or_default()),
            "metadata": { "payment_id": r.payment_id, "orders": orders },
        });
    }
    out
}

fn error_message(code: &str, content: String) -> Value {
    json!({
        "type": "error",
        "code": code,
        "severity": "high",
        "resolution": "requires_buyer_input",
        "param": "$.line_items",
        "content_type": "plain",
        "content": content,
    })
}
