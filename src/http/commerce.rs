//! Carts, checkout, orders, care actions and rides over REST: each handler
//! extracts, calls the commerce engine, and returns its JSON.

use axum::body::Bytes;
use axum::extract::{MatchedPath, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use super::extract::{optional_json, ApiJson, ApiPath, ApiQuery, Caller, IdempotencyKey};
use super::{ApiError, AppState};
use crate::commerce::{
    ActionResult, BookRequest, CartView, CheckoutRequest, CheckoutResult, Diagnosis, Feedback,
    FeedbackRequest, OrderView, QuoteRequest, Recommendations, RecsKind, RecsQuery, RideQuote,
    RideView,
};
use crate::knowledge::options::Asked;

type Api<T> = Result<Json<T>, ApiError>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddItem {
    product_id: String,
    #[serde(default = "one")]
    quantity: u32,
    /// Option group -> choice id or ids; groups left out take their defaults.
    #[serde(default)]
    options: Asked,
}

fn one() -> u32 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetItem {
    quantity: Option<u32>,
    /// Groups to change on this line; the others stay as they are.
    options: Option<Asked>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coupon {
    code: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    #[serde(default)]
    reason: String,
    /// The refund the caller was shown; any other amount is refused (422
    /// `terms_changed`) rather than run.
    expected_refund_minor: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refund {
    amount_minor: Option<i64>,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    limit: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecsParams {
    kind: RecsKind,
    product_id: Option<String>,
    limit: Option<usize>,
    days: Option<u32>,
}

pub async fn recommendations(
    State(s): State<AppState>,
    who: Caller,
    ApiQuery(q): ApiQuery<RecsParams>,
) -> Api<Recommendations> {
    let query = RecsQuery {
        kind: q.kind,
        product_id: q.product_id,
        limit: q.limit.unwrap_or(10),
        days: q.days,
    };
    Ok(Json(
        s.app
            .commerce
            .recommendations(who.customer()?, query)
            .await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Click {
    product_id: String,
}

/// `POST /v1/recommendations/clicks`: the customer opened a recommended
/// product. Counted once per product for the experiment that showed it;
/// 404 when no experiment showed it to them.
pub async fn recommendation_click(
    State(s): State<AppState>,
    who: Caller,
    ApiJson(b): ApiJson<Click>,
) -> Result<StatusCode, ApiError> {
    s.app
        .commerce
        .recommendation_clicked(who.customer()?, &b.product_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 201 the first time, 200 when it replaces the customer's earlier feedback.
pub async fn feedback(
    State(s): State<AppState>,
    who: Caller,
    ApiJson(b): ApiJson<FeedbackRequest>,
) -> Result<(StatusCode, Json<Feedback>), ApiError> {
    let (f, created) = s.app.commerce.feedback(who.customer()?, b).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(f)))
}

pub async fn cart(State(s): State<AppState>, who: Caller) -> Api<CartView> {
    Ok(Json(s.app.commerce.cart(who.customer()?).await?))
}

pub async fn add_item(
    State(s): State<AppState>,
    who: Caller,
    ApiJson(b): ApiJson<AddItem>,
) -> Api<CartView> {
    Ok(Json(
        s.app
            .commerce
            .add_to_cart(who.customer()?, &b.product_id, b.quantity, &b.options.0)
            .await?,
    ))
}

pub async fn set_item(
    State(s): State<AppState>,
    who: Caller,
    ApiPath(line): ApiPath<String>,
    ApiJson(b): ApiJson<SetItem>,
) -> Api<CartView> {
    if b.quantity.is_none() && b.options.is_none() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "`quantity`: give a quantity, options or both",
        ));
    }
    Ok(Json(
        s.app
            .commerce
            .update_line(
                who.customer()?,
                &line,
                b.quantity,
                b.options.as_ref().map(|o| &o.0),
            )
            .await?,
    ))
}

pub async fn remove_item(
    State(s): State<AppState>,
    who: Caller,
    ApiPath(line): ApiPath<String>,
) -> Api<CartView> {
    Ok(Json(
        s.app
            .commerce
            .remove_from_cart(who.customer()?, &line)
            .await?,
    ))
}

pub async fn clear(State(s): State<AppState>, who: Caller) -> Api<CartView> {
    Ok(Json(s.app.commerce.clear_cart(who.customer()?).await?))
}

pub async fn set_coupon(
    State(s): State<AppState>,
    who: Caller,
    ApiJson(b): ApiJson<Coupon>,
) -> Api<CartView> {
    Ok(Json(
        s.app
            .commerce
            .set_coupon(who.customer()?, Some(&b.code))
            .await?,
    ))
}

pub async fn remove_coupon(State(s): State<AppState>, who: Caller) -> Api<CartView> {
    Ok(Json(
        s.app.commerce.set_coupon(who.customer()?, None).await?,
    ))
}

pub async fn offers(State(s): State<AppState>, who: Caller) -> Api<serde_json::Value> {
    let offers = s.app.commerce.offers(who.customer()?).await?;
    Ok(Json(serde_json::json!({ "offers": offers })))
}

pub async fn checkout(
    State(s): State<AppState>,
    who: Caller,
    IdempotencyKey(key): IdempotencyKey,
    body: Bytes,
) -> Result<(StatusCode, Json<CheckoutResult>), ApiError> {
    let req: CheckoutRequest = optional_json(&body)?;
    Ok((
        StatusCode::CREATED,
        Json(s.app.commerce.checkout(who.customer()?, &key, req).await?),
    ))
}

pub async fn orders(
    State(s): State<AppState>,
    who: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Api<serde_json::Value> {
    let limit = q.limit.unwrap_or(20).clamp(1, 100);
    let orders = s.app.commerce.orders(who.customer()?, limit).await?;
    Ok(Json(serde_json::json!({ "orders": orders })))
}

pub async fn order(
    State(s): State<AppState>,
    who: Caller,
    ApiPath(id): ApiPath<String>,
) -> Api<OrderView> {
    Ok(Json(s.app.commerce.order(&who.actor(), &id).await?))
}

pub async fn diagnosis(
    State(s): State<AppState>,
    who: Caller,
    ApiPath(id): ApiPath<String>,
) -> Api<Diagnosis> {
    Ok(Json(s.app.commerce.diagnosis(&who.actor(), &id).await?))
}

/// Cancel and refund serve both `/v1/orders/...` (the customer) and
/// `/v1/assist/orders/...` (a care agent); the path decides who may call.
pub async fn cancel(
    State(s): State<AppState>,
    who: Caller,
    path: MatchedPath,
    IdempotencyKey(key): IdempotencyKey,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Api<ActionResult> {
    who.may_act_on(path.as_str())?;
    let b = optional_json::<Reason>(&body)?;
    let reason = if b.reason.trim().is_empty() {
        "requested".to_string()
    } else {
        b.reason
    };
    Ok(Json(
        s.app
            .commerce
            .cancel(&who.actor(), &id, &reason, &key, b.expected_refund_minor)
            .await?,
    ))
}

pub async fn refund(
    State(s): State<AppState>,
    who: Caller,
    path: MatchedPath,
    IdempotencyKey(key): IdempotencyKey,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<Refund>,
) -> Api<ActionResult> {
    who.may_act_on(path.as_str())?;
    Ok(Json(
        s.app
            .commerce
            .refund(&who.actor(), &id, b.amount_minor, &b.reason, &key)
            .await?,
    ))
}

pub async fn assist_reblast(
    State(s): State<AppState>,
    who: Caller,
    ApiPath(id): ApiPath<String>,
) -> Api<ActionResult> {
    who.agent()?;
    Ok(Json(s.app.commerce.reblast(&who.actor(), &id).await?))
}

pub async fn quote(
    State(s): State<AppState>,
    who: Caller,
    ApiJson(b): ApiJson<QuoteRequest>,
) -> Api<RideQuote> {
    Ok(Json(s.app.commerce.quote_ride(who.customer()?, b).await?))
}

pub async fn book(
    State(s): State<AppState>,
    who: Caller,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(b): ApiJson<BookRequest>,
) -> Result<(StatusCode, Json<RideView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.commerce.book_ride(who.customer()?, &key, b).await?),
    ))
}

pub async fn rides(
    State(s): State<AppState>,
    who: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Api<serde_json::Value> {
    let limit = q.limit.unwrap_or(20).clamp(1, 100);
    let rides = s.app.commerce.rides(who.customer()?, limit).await?;
    Ok(Json(serde_json::json!({ "rides": rides })))
}

pub async fn ride(
    State(s): State<AppState>,
    who: Caller,
    ApiPath(id): ApiPath<String>,
) -> Api<RideView> {
    Ok(Json(s.app.commerce.ride(who.customer()?, &id).await?))
}

pub async fn openapi() -> ([(axum::http::HeaderName, &'static str); 1], &'static str) {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
}
