//! One type per tool in `tools/`, with typed arguments and output, and the
//! registry that dispatches a call by name. Each runs as the session's customer (or,
//! in assist mode, its care agent and ticket): ids of carts, orders and
//! tickets come from the session, never from the arguments, and the commerce
//! engine checks ownership again.

use std::collections::HashMap;

use anyhow::Context;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::basket::{RecipeBasket, SuggestRecipes};
use super::{Agent, Env};
use crate::commerce::{
    ActionResult, Actor, BookRequest, CartView, CheckoutRequest, CheckoutResult, Commerce,
    Feedback, FeedbackRequest, NewTicket, QuoteRequest, Recommendations, RecsKind, RecsQuery,
    RideQuote, RideView, Ticket, TicketAction,
};
use crate::knowledge::{Audience, Knowledge, Selection};
use crate::retrieval::{Filters, Hit, Kind, Mode, Retriever, SearchRequest};
use crate::store::Store;

/// What a handler needs: the engines and who is acting.
pub struct Ctx<'a> {
    pub commerce: &'a Commerce,
    pub knowledge: &'a Knowledge,
    pub retriever: &'a Retriever,
    pub customer: &'a str,
    /// Assist mode: the care agent acting and the ticket the session is about.
    pub agent: Option<(&'a str, &'a str)>,
    pub assistant: &'a Agent,
    pub store: &'a Store,
    /// The conversation this call is made in.
    pub session: &'a str,
    /// Stable per confirmed write, so a retried turn never repeats it.
    pub idempotency_key: String,
}

/// Moves what the customer has ordered before up the list: about one place
/// for one past order, two for two, three for five, so a much closer match
/// still leads.
fn personalise(hits: &mut Vec<Hit>, bought: &HashMap<String, u32>) {
    if bought.is_empty() {
        return;
    }
    let mut keyed: Vec<(f64, Hit)> = hits
        .drain(..)
        .enumerate()
        .map(|(rank, h)| {
            let times = f64::from(bought.get(&h.id).copied().unwrap_or(0));
            (rank as f64 - 2.0 * times.ln_1p(), h)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
    hits.extend(keyed.into_iter().map(|(_, h)| h));
}

/// One tool: the name of its schema in `tools/`, its arguments as a type
/// (the schema has already been checked, so they parse), and what it answers.
pub(super) trait Tool {
    const NAME: &'static str;
    type Args: DeserializeOwned;
    type Output: Serialize;
    async fn run(ctx: &Ctx<'_>, args: Self::Args) -> anyhow::Result<Self::Output>;
}

/// The registry: every tool type, by name. `BOUND` and `call` both come
/// from this one list, so a tool cannot be listed without a handler.
macro_rules! registry {
    ($($tool:ty),* $(,)?) => {
        pub const BOUND: &[&str] = &[$(<$tool as Tool>::NAME),*];

        /// Runs a call whose arguments passed the tool's schema.
        pub async fn call(ctx: &Ctx<'_>, name: &str, args: &Value) -> anyhow::Result<Value> {
            match name {
                $(<$tool as Tool>::NAME => {
                    let args: <$tool as Tool>::Args = serde_json::from_value(args.clone())
                        .with_context(|| format!("arguments of `{name}`"))?;
                    Ok(serde_json::to_value(<$tool as Tool>::run(ctx, args).await?)?)
                })*
                other => anyhow::bail!("tool `{other}` has no handler"),
            }
        }

        /// Whether `args` parse as the tool's argument type: its schema and
        /// its type must agree, which a test checks for every tool.
        #[cfg(test)]
        fn parses(name: &str, args: &Value) -> Result<(), String> {
            match name {
                $(<$tool as Tool>::NAME => serde_json::from_value::<<$tool as Tool>::Args>(args.clone())
                    .map(|_| ())
                    .map_err(|e| e.to_string()),)*
                other => Err(format!("tool `{other}` has no handler")),
            }
        }
    };
}

registry!(
    SearchProducts,
    AddToCart,
    SetCartQuantity,
    RemoveFromCart,
    SetCartOptions,
    ViewCart,
    ClearCart,
    ApplyCoupon,
    ListOffers,
    Recommend,
    CheckoutTool,
    RecipeBasket,
    SuggestRecipes,
    QuoteRide,
    BookRide,
    RideStatus,
    OrderStatus,
    CancelOrder,
    RequestRefund,
    SearchHelp,
    MerchantInfo,
    CreateTicket,
    GiveFeedback,
    AnalyseTicket,
    DecideAction,
);

pub fn is_bound(name: &str) -> bool {
    BOUND.contains(&name)
}

/// A tool that takes no arguments.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

fn actor(ctx: &Ctx<'_>) -> Actor {
    Actor::Customer(ctx.customer.into())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    query: String,
    #[serde(default)]
    tags: Vec<String>,
    max_price_minor: Option<i64>,
    merchant_id: Option<String>,
    #[serde(default)]
    exclude_ids: Vec<String>,
    limit: Option<usize>,
}

struct SearchProducts;
impl Tool for SearchProducts {
    const NAME: &'static str = "search_products";
    type Args = SearchArgs;
    type Output = Value;
    async fn run(ctx: &Ctx<'_>, a: SearchArgs) -> anyhow::Result<Value> {
        let filters = Filters {
            kind: Some(Kind::Product),
            tags: a.tags,
            price_max: a.max_price_minor,
            merchant: a.merchant_id,
            in_stock: true,
            ..Default::default()
        };
        let limit = a.limit.unwrap_or(5);
        let mut hits = ctx
            .retriever
            .search(&SearchRequest {
                query: a.query,
                mode: Mode::Hybrid,
                filters,
                limit: (limit + a.exclude_ids.len()) * 4,
            })
            .await?;
        hits.retain(|h| !a.exclude_ids.contains(&h.id));
        personalise(&mut hits, &ctx.commerce.bought(ctx.customer).await?);
        Ok(json!({ "products": super::basket::varied(ctx.knowledge, &hits, limit) }))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddArgs {
    product_id: String,
    #[serde(default = "one")]
    quantity: u32,
    /// Option group -> choice ids; groups left out take their defaults.
    #[serde(default)]
    options: Selection,
}

fn one() -> u32 {
    1
}

struct AddToCart;
impl Tool for AddToCart {
    const NAME: &'static str = "add_to_cart";
    type Args = AddArgs;
    type Output = CartView;
    async fn run(ctx: &Ctx<'_>, a: AddArgs) -> anyhow::Result<CartView> {
        Ok(ctx
            .commerce
            .add_to_cart(ctx.customer, &a.product_id, a.quantity, &a.options)
            .await?)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuantityArgs {
    product_id: String,
    quantity: u32,
}

struct SetCartQuantity;
impl Tool for SetCartQuantity {
    const NAME: &'static str = "set_cart_quantity";
    type Args = QuantityArgs;
    type Output = CartView;
    async fn run(ctx: &Ctx<'_>, a: QuantityArgs) -> anyhow::Result<CartView> {
        Ok(ctx
            .commerce
            .set_quantity(ctx.customer, &a.product_id, a.quantity)
            .await?)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductArgs {
    product_id: String,
}

struct RemoveFromCart;
impl Tool for RemoveFromCart {
    const NAME: &'static str = "remove_from_cart";
    type Args = ProductArgs;
    type Output = CartView;
    async fn run(ctx: &Ctx<'_>, a: ProductArgs) -> anyhow::Result<CartView> {
        Ok(ctx
            .commerce
            .remove_from_cart(ctx.customer, &a.product_id)
            .await?)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionsArgs {
    line_id: String,
    options: Selection,
}

struct SetCartOptions;
impl Tool for SetCartOptions {
    const NAME: &'static str = "set_cart_options";
    type Args = OptionsArgs;
    type Output = CartView;
    async fn run(ctx: &Ctx<'_>, a: OptionsArgs) -> anyhow::Result<CartView> {
        Ok(ctx
            .commerce
            .update_line(ctx.customer, &a.line_id, None, Some(&a.options))
            .await?)
    }
}

struct ViewCart;
impl Tool for ViewCart {
    const NAME: &'static str = "view_cart";
    type Args = NoArgs;
    type Output = CartView;
    async fn run(ctx: &Ctx<'_>, _: NoArgs) -> anyhow::Result<CartView> {
        Ok(ctx.commerce.cart(ctx.customer).await?)
    }
}

struct ClearCart;
impl Tool for ClearCart {
    const NAME: &'static str = "clear_cart";
    type Args = NoArgs;
    type Output = CartView;
    async fn run(ctx: &Ctx<'_>, _: NoArgs) -> anyhow::Result<CartView> {
        Ok(ctx.commerce.clear_cart(ctx.customer).await?)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CouponArgs {
    code: String,
}

struct ApplyCoupon;
impl Tool for ApplyCoupon {
    const NAME: &'static str = "apply_coupon";
    type Args = CouponArgs;
    type Output = CartView;
    async fn run(ctx: &Ctx<'_>, a: CouponArgs) -> anyhow::Result<CartView> {
        Ok(ctx.commerce.set_coupon(ctx.customer, Some(&a.code)).await?)
    }
}

struct ListOffers;
impl Tool for ListOffers {
    const NAME: &'static str = "list_offers";
    type Args = NoArgs;
    type Output = Value;
    async fn run(ctx: &Ctx<'_>, _: NoArgs) -> anyhow::Result<Value> {
        let c = ctx.commerce;
        Ok(json!({ "offers": c.offers(ctx.customer).await?, "cart": c.cart(ctx.customer).await? }))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecommendArgs {
    kind: RecsKind,
    product_id: Option<String>,
    limit: Option<usize>,
    days: Option<u32>,
}

struct Recommend;
impl Tool for Recommend {
    const NAME: &'static str = "recommend";
    type Args = RecommendArgs;
    type Output = Recommendations;
    async fn run(ctx: &Ctx<'_>, a: RecommendArgs) -> anyhow::Result<Recommendations> {
        let query = RecsQuery {
            kind: a.kind,
            product_id: a.product_id,
            limit: a.limit.unwrap_or(10),
            days: a.days,
        };
        Ok(ctx.commerce.recommendations(ctx.customer, query).await?)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutArgs {
    /// The total the customer said yes to: pinned by the confirmation.
    expected_total_minor: Option<i64>,
}

struct CheckoutTool;
impl Tool for CheckoutTool {
    const NAME: &'static str = "checkout";
    type Args = CheckoutArgs;
    type Output = CheckoutResult;
    async fn run(ctx: &Ctx<'_>, a: CheckoutArgs) -> anyhow::Result<CheckoutResult> {
        let req = CheckoutRequest {
            expected_total_minor: a.expected_total_minor,
            ..Default::default()
        };
        Ok(ctx
            .commerce
            .checkout(ctx.customer, &ctx.idempotency_key, req)
            .await?)
    }
}

struct QuoteRide;
impl Tool for QuoteRide {
    const NAME: &'static str = "quote_ride";
    type Args = QuoteRequest;
    type Output = RideQuote;
    async fn run(ctx: &Ctx<'_>, a: QuoteRequest) -> anyhow::Result<RideQuote> {
        Ok(ctx.commerce.quote_ride(ctx.customer, a).await?)
    }
}

struct BookRide;
impl Tool for BookRide {
    const NAME: &'static str = "book_ride";
    type Args = BookRequest;
    type Output = RideView;
    async fn run(ctx: &Ctx<'_>, a: BookRequest) -> anyhow::Result<RideView> {
        Ok(ctx
            .commerce
            .book_ride(ctx.customer, &ctx.idempotency_key, a)
            .await?)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RideArgs {
    ride_id: Option<String>,
}

struct RideStatus;
impl Tool for RideStatus {
    const NAME: &'static str = "ride_status";
    type Args = RideArgs;
    type Output = Value;
    async fn run(ctx: &Ctx<'_>, a: RideArgs) -> anyhow::Result<Value> {
        let c = ctx.commerce;
        let ride = match a.ride_id {
            Some(id) => Some(c.ride(ctx.customer, &id).await?),
            None => c.rides(ctx.customer, 1).await?.into_iter().next(),
        };
        Ok(json!({ "ride": ride }))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderArgs {
    order_id: Option<String>,
}

struct OrderStatus;
impl Tool for OrderStatus {
    const NAME: &'static str = "order_status";
    type Args = OrderArgs;
    type Output = Value;
    async fn run(ctx: &Ctx<'_>, a: OrderArgs) -> anyhow::Result<Value> {
        let c = ctx.commerce;
        let id = match a.order_id {
            Some(id) => id,
            None => match c.orders(ctx.customer, 1).await?.into_iter().next() {
                Some(o) => o.id,
                None => return Ok(json!({ "order": null })),
            },
        };
        let who = actor(ctx);
        Ok(
            json!({ "order": c.order(&who, &id).await?, "diagnosis": c.diagnosis(&who, &id).await? }),
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelArgs {
    order_id: String,
    #[serde(default)]
    reason: String,
    /// The refund the customer said yes to: pinned by the confirmation.
    expected_refund_minor: Option<i64>,
}

struct CancelOrder;
impl Tool for CancelOrder {
    const NAME: &'static str = "cancel_order";
    type Args = CancelArgs;
    type Output = ActionResult;
    async fn run(ctx: &Ctx<'_>, a: CancelArgs) -> anyhow::Result<ActionResult> {
        let reason = Some(a.reason.as_str())
            .filter(|r| !r.is_empty())
            .unwrap_or("requested in chat");
        Ok(ctx
            .commerce
            .cancel(
                &actor(ctx),
                &a.order_id,
                reason,
                &ctx.idempotency_key,
                a.expected_refund_minor,
            )
            .await?)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundArgs {
    order_id: String,
    amount_minor: Option<i64>,
    reason: String,
}

struct RequestRefund;
impl Tool for RequestRefund {
    const NAME: &'static str = "request_refund";
    type Args = RefundArgs;
    type Output = ActionResult;
    async fn run(ctx: &Ctx<'_>, a: RefundArgs) -> anyhow::Result<ActionResult> {
        Ok(ctx
            .commerce
            .refund(
                &actor(ctx),
                &a.order_id,
                a.amount_minor,
                &a.reason,
                &ctx.idempotency_key,
            )
            .await?)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketArgs {
    order_id: Option<String>,
    subject: String,
}

struct CreateTicket;
impl Tool for CreateTicket {
    const NAME: &'static str = "create_ticket";
    type Args = TicketArgs;
    type Output = Ticket;
    async fn run(ctx: &Ctx<'_>, a: TicketArgs) -> anyhow::Result<Ticket> {
        let req = NewTicket {
            order_id: a.order_id,
            subject: a.subject,
            customer_id: None,
        };
        let ticket = ctx.commerce.create_ticket(&actor(ctx), req).await?;
        ctx.store
            .link_ticket(ctx.session.to_string(), ticket.id.clone())
            .await?;
        Ok(ticket)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackArgs {
    order_id: Option<String>,
    text: String,
    rating: Option<i64>,
}

/// Feedback said in a chat: about the order named, else the conversation.
struct GiveFeedback;
impl Tool for GiveFeedback {
    const NAME: &'static str = "give_feedback";
    type Args = FeedbackArgs;
    type Output = Feedback;
    async fn run(ctx: &Ctx<'_>, a: FeedbackArgs) -> anyhow::Result<Feedback> {
        let req = FeedbackRequest {
            session_id: a.order_id.is_none().then(|| ctx.session.to_string()),
            order_id: a.order_id,
            rating: a.rating,
            text: a.text,
            add_to_text: true,
        };
        Ok(ctx.commerce.feedback(ctx.customer, req).await?.0)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MerchantArgs {
    merchant_id: Option<String>,
}

struct MerchantInfo;
impl Tool for MerchantInfo {
    const NAME: &'static str = "merchant_info";
    type Args = MerchantArgs;
    type Output = Value;
    async fn run(ctx: &Ctx<'_>, a: MerchantArgs) -> anyhow::Result<Value> {
        let id = a.merchant_id.as_deref();
        let merchants: Vec<Value> = ctx
            .knowledge
            .merchants
            .iter()
            .filter(|m| id.is_none_or(|id| m.id == id))
            .map(|m| {
                json!({
                    "id": m.id, "name": m.name, "kind": m.kind, "cuisine": m.cuisine, "area": m.area,
                    "min_order_minor": m.min_order_minor, "delivery_fee_minor": m.delivery_fee_minor,
                    "packaging_fee_minor": m.packaging_fee_minor, "prep_minutes": m.prep_minutes,
                })
            })
            .collect();
        if let Some(id) = id.filter(|_| merchants.is_empty()) {
            anyhow::bail!("no merchant `{id}`");
        }
        Ok(json!({ "merchants": merchants }))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HelpArgs {
    query: String,
    /// An article already known to answer (the router's nearest labelled
    /// example): listed first when the caller may read it.
    #[serde(default)]
    article: Option<String>,
}

struct SearchHelp;
impl Tool for SearchHelp {
    const NAME: &'static str = "search_help";
    type Args = HelpArgs;
    type Output = Value;
    async fn run(ctx: &Ctx<'_>, a: HelpArgs) -> anyhow::Result<Value> {
        let filters = Filters {
            kind: Some(Kind::Help),
            agent_view: ctx.agent.is_some(),
            ..Default::default()
        };
        let hits = ctx
            .retriever
            .search(&SearchRequest {
                query: a.query,
                mode: Mode::Hybrid,
                filters,
                limit: 10,
            })
            .await?;
        let named = a.article.as_deref();
        let found = hits
            .iter()
            .map(|h| h.id.as_str())
            .filter(|id| Some(*id) != named);
        // Agent-only policy (abuse checks, approval limits) never
        // reaches a customer's chat: filtered before anything is quoted.
        let articles: Vec<Value> = named
            .into_iter()
            .chain(found)
            .filter_map(|id| ctx.knowledge.help.iter().find(|a| a.id == id))
            .filter(|a| ctx.agent.is_some() || a.audience == Audience::Customer)
            .take(3)
            .map(|a| json!({ "id": a.id, "title": a.title, "summary": super::summary(&a.body) }))
            .collect();
        Ok(json!({ "articles": articles }))
    }
}

struct AnalyseTicket;
impl Tool for AnalyseTicket {
    const NAME: &'static str = "analyse_ticket";
    type Args = NoArgs;
    type Output = Value;
    async fn run(ctx: &Ctx<'_>, _: NoArgs) -> anyhow::Result<Value> {
        let (agent, ticket) = assist_identity(ctx)?;
        let env = Env {
            commerce: ctx.commerce,
            knowledge: ctx.knowledge,
            retriever: ctx.retriever,
            store: ctx.store,
        };
        Ok(serde_json::to_value(
            ctx.assistant.assist(&env, agent, ticket).await?,
        )?)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecideArgs {
    action_id: String,
    decision: Decision,
}

struct DecideAction;
impl Tool for DecideAction {
    const NAME: &'static str = "decide_action";
    type Args = DecideArgs;
    type Output = TicketAction;
    async fn run(ctx: &Ctx<'_>, a: DecideArgs) -> anyhow::Result<TicketAction> {
        let (agent, ticket) = assist_identity(ctx)?;
        let approve = matches!(a.decision, Decision::Approve);
        Ok(ctx
            .commerce
            .decide(agent, ticket, &a.action_id, approve)
            .await?)
    }
}

/// Assist tools act only for a care agent, on the session's own ticket.
fn assist_identity<'a>(ctx: &Ctx<'a>) -> anyhow::Result<(&'a str, &'a str)> {
    ctx.agent
        .context("assist tools need a care agent's identity and a ticket")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retrieval::Explanation;

    fn hit(id: &str) -> Hit {
        Hit {
            id: id.into(),
            kind: Kind::Product,
            title: id.into(),
            merchant_id: None,
            category: String::new(),
            price_minor: None,
            tags: Vec::new(),
            in_stock: true,
            snippet: None,
            explanation: Explanation {
                bm25_rank: None,
                bm25_score: None,
                dense_rank: None,
                dense_score: None,
                fused_score: 0.0,
                expanded_with: Vec::new(),
            },
        }
    }

    fn order(ids: &[&str], bought: &[(&str, u32)]) -> Vec<String> {
        let mut hits: Vec<Hit> = ids.iter().map(|id| hit(id)).collect();
        let bought = bought.iter().map(|(p, n)| (p.to_string(), *n)).collect();
        personalise(&mut hits, &bought);
        hits.into_iter().map(|h| h.id).collect()
    }

    /// A value of the schema's type: the first of an enum, the minimum.
    fn sample(schema: &Value) -> Value {
        if let Some(first) = schema["enum"].get(0) {
            return first.clone();
        }
        match schema["type"].as_str() {
            Some("string") => json!("x"),
            Some("integer") => json!(schema["minimum"].as_i64().unwrap_or(1).max(1)),
            Some("boolean") => json!(true),
            Some("array") => json!([sample(&schema["items"])]),
            Some("object") => json!({}),
            other => panic!("no sample for type {other:?}"),
        }
    }

    #[test]
    fn every_schema_in_tools_parses_as_its_tool_s_arguments() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tools");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let spec: Value =
                serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap())
                    .unwrap();
            let name = spec["name"].as_str().unwrap();
            let params = &spec["parameters"];
            let props = params["properties"].as_object().unwrap();
            let required: Vec<&str> = params["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let all: serde_json::Map<String, Value> =
                props.iter().map(|(k, v)| (k.clone(), sample(v))).collect();
            let least: serde_json::Map<String, Value> = all
                .iter()
                .filter(|(k, _)| required.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            for args in [Value::Object(all), Value::Object(least)] {
                parses(name, &args).unwrap_or_else(|e| panic!("{name} {args}: {e}"));
            }
            // A property the schema does not have is refused by the type too.
            assert!(
                parses(name, &json!({ "no_such_argument": 1 })).is_err(),
                "{name}"
            );
            seen += 1;
        }
        assert_eq!(seen, BOUND.len());
    }

    #[test]
    fn past_orders_move_a_product_up_a_few_places_only() {
        let ids = ["a", "b", "c", "d", "e", "f", "g"];
        assert_eq!(order(&ids, &[]), ids);
        // Once: one place. Five times: three places, never to the top from last.
        assert_eq!(
            order(&ids, &[("c", 1)]),
            ["a", "c", "b", "d", "e", "f", "g"]
        );
        assert_eq!(
            order(&ids, &[("g", 5)]),
            ["a", "b", "c", "g", "d", "e", "f"]
        );
        // Products not in the list change nothing.
        assert_eq!(order(&ids, &[("z", 9)]), ids);
    }
}
