//! The MCP face: `/mcp` over streamable HTTP (the `rmcp` crate), so other
//! agents reach the customer's tools. Every request carries the same bearer
//! token as the REST API and acts as that customer only.
//!
//! - Tools are the files in `tools/` marked `"surfaces": ["mcp"]`, with
//!   their schemas. Writes that spend money or cannot be undone (marked
//!   `"confirm": true`) are not callable directly: `propose_action` returns
//!   their exact terms and a sealed `proposal_id`, `confirm_action` runs
//!   exactly that (see `agent::approval`). One call can never spend money.
//! - Resources are the catalog's products and the customer help articles
//!   (`errand://product/{id}`, `errand://help/{id}`); agent-only articles
//!   do not exist here.
//! - Stateless: no MCP session is kept, so any replica answers any request.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ResourceTemplate, ServerCapabilities, ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{json, Value};

use super::extract::Caller;
use super::{ApiError, AppState};
use crate::agent::CallError;
use crate::app::App;
use crate::knowledge::Audience;

/// The surface name tool files list in `surfaces`.
const SURFACE: &str = "mcp";
/// Resources per `resources/list` page.
const PAGE: usize = 200;
const PROPOSE: &str = "propose_action";
const CONFIRM: &str = "confirm_action";

/// The customer a request was authenticated as, put there by [`authenticate`].
#[derive(Clone)]
struct Customer(String);

/// The `/mcp` service. Hosts are not checked against a list: every request
/// needs a bearer token, which a DNS-rebinding page cannot borrow.
pub fn service(app: Arc<App>) -> StreamableHttpService<Errand, NeverSessionManager> {
    StreamableHttpService::new(
        move || Ok(Errand { app: app.clone() }),
        Arc::new(NeverSessionManager::default()),
        StreamableHttpServerConfig::default()
            .with_legacy_session_mode(false)
            .with_json_response(true)
            .with_sse_keep_alive(None)
            .disable_allowed_hosts(),
    )
}

/// Lets only customers with a valid token in; agents act through assist mode.
pub async fn authenticate(
    State(_): State<AppState>,
    who: Caller,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let me = who.customer()?.to_string();
    req.extensions_mut().insert(Customer(me));
    Ok(next.run(req).await)
}

#[derive(Clone)]
pub struct Errand {
    app: Arc<App>,
}

fn customer(ctx: &RequestContext<RoleServer>) -> Result<String, ErrorData> {
    ctx.extensions
        .get::<axum::http::request::Parts>()
        .and_then(|p| p.extensions.get::<Customer>())
        .map(|c| c.0.clone())
        .ok_or_else(|| ErrorData::invalid_request("not authenticated", None))
}

fn object(v: Value) -> Arc<serde_json::Map<String, Value>> {
    Arc::new(match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    })
}

fn tool_error(e: CallError) -> CallToolResponse {
    let code = match &e {
        CallError::NotFound(_) => "not_found",
        CallError::NeedsProposal(_) => "needs_proposal",
        CallError::Invalid(_) => "invalid_arguments",
        CallError::Refused(_) => "refused",
    };
    let mut r = CallToolResult::error(vec![ContentBlock::text(e.to_string())]);
    r.structured_content = Some(json!({ "error": { "code": code, "message": e.to_string() } }));
    r.into()
}

impl Errand {
    fn tools(&self) -> Result<Vec<Tool>, ErrorData> {
        let tools = self
            .app
            .tools()
            .ok_or_else(|| ErrorData::internal_error("the assistant is still loading", None))?;
        let mut out = Vec::new();
        let mut writes = Vec::new();
        for spec in tools.on(SURFACE) {
            if tools.needs_yes(&spec.name) {
                writes.push(json!(spec.name));
                continue;
            }
            out.push(Tool::new(
                spec.name.clone(),
                spec.description.clone(),
                object(spec.parameters.clone()),
            ));
        }
        out.push(
            Tool::new(
                PROPOSE,
                propose_description(tools),
                object(json!({
                    "type": "object",
                    "properties": {
                        "tool": { "type": "string", "enum": writes },
                        "arguments": { "type": "object" }
                    },
                    "required": ["tool"],
                    "additionalProperties": false
                })),
            )
            .with_annotations(ToolAnnotations::new().read_only(true)),
        );
        out.push(
            Tool::new(
                CONFIRM,
                "Run a proposal exactly as proposed, after the customer has seen its summary \
                 and said yes. Retrying with the same proposal_id never runs it twice. If the \
                 terms no longer hold (the cart changed, the order moved on) it refuses: \
                 propose again.",
                object(json!({
                    "type": "object",
                    "properties": { "proposal_id": { "type": "string", "maxLength": 4000 } },
                    "required": ["proposal_id"],
                    "additionalProperties": false
                })),
            )
            .with_annotations(ToolAnnotations::new().destructive(true)),
        );
        Ok(out)
    }
}

/// What `propose_action` does, with each write's own schema for `arguments`.
fn propose_description(tools: &crate::agent::tools::Tools) -> String {
    let schemas: serde_json::Map<String, Value> = tools
        .on(SURFACE)
        .filter(|s| tools.needs_yes(&s.name))
        .map(|s| {
            let about = json!({ "description": s.description, "parameters": s.parameters });
            (s.name.clone(), about)
        })
        .collect();
    format!(
        "Propose a write that spends money or cannot be undone. Nothing runs: the answer \
         holds the exact terms, a summary to show the customer, and a proposal_id for \
         confirm_action. The write's own arguments go in `arguments`; their schemas: {}",
        Value::Object(schemas)
    )
}

impl ServerHandler for Errand {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new("errand", env!("CARGO_PKG_VERSION")))
        .with_instructions(
            "Errand's groceries, restaurant food and rides for one signed-in customer. Search \
             and fill the cart directly; to pay, book, cancel or refund, call propose_action, \
             show the customer its summary, and call confirm_action only after they say yes.",
        )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        customer(&ctx)?;
        Ok(ListToolsResult::with_all_items(self.tools()?))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let me = customer(&ctx)?;
        let args = Value::Object(request.arguments.unwrap_or_default());
        let name = request.name.as_ref();
        // Only what tools/list offers: the proposal pair, and the direct tools
        // (the writes that need a yes are refused by name, not run).
        let tools = self
            .app
            .tools()
            .ok_or_else(|| ErrorData::internal_error("the assistant is still loading", None))?;
        let offered = |n: &str| {
            tools
                .on(SURFACE)
                .any(|t| t.name == n && !tools.needs_yes(n))
        };
        if !(name == PROPOSE || name == CONFIRM || offered(name)) {
            return Err(ErrorData::invalid_params(
                format!("unknown tool `{name}`"),
                None,
            ));
        }
        let out = match name {
            PROPOSE => match (args["tool"].as_str(), &args["arguments"]) {
                (Some(tool), Value::Object(_) | Value::Null) => {
                    let inner = if args["arguments"].is_null() {
                        json!({})
                    } else {
                        args["arguments"].clone()
                    };
                    self.app
                        .propose(&me, SURFACE, tool, &inner)
                        .await
                        .map(|p| json!(p))
                }
                _ => Err(CallError::Invalid(
                    "arguments.tool must name a write and arguments.arguments be an object".into(),
                )),
            },
            CONFIRM => match args["proposal_id"].as_str() {
                Some(id) => self.app.confirm(&me, SURFACE, id).await,
                None => Err(CallError::Invalid(
                    "arguments.proposal_id must be a string".into(),
                )),
            },
            _ => self.app.call_tool(&me, SURFACE, name, &args).await,
        };
        Ok(match out {
            Ok(v) => CallToolResult::structured(v).into(),
            Err(e) => tool_error(e),
        })
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        customer(&ctx)?;
        let k = &self.app.knowledge;
        let start: usize = match request.and_then(|r| r.cursor) {
            Some(c) => c
                .parse()
                .map_err(|_| ErrorData::invalid_params("unknown cursor", None))?,
            None => 0,
        };
        let help = k
            .help
            .iter()
            .filter(|a| a.audience == Audience::Customer)
            .map(|a| {
                Resource::new(format!("errand://help/{}", a.id), a.id.clone())
                    .with_title(a.title.clone())
                    .with_mime_type("text/markdown")
            });
        let products = k.products.iter().map(|p| {
            Resource::new(format!("errand://product/{}", p.id), p.id.clone())
                .with_title(p.title.clone())
                .with_mime_type("application/json")
        });
        let all: Vec<Resource> = help.chain(products).skip(start).take(PAGE + 1).collect();
        let more = all.len() > PAGE;
        let mut r = ListResourcesResult::with_all_items(all.into_iter().take(PAGE).collect());
        r.next_cursor = more.then(|| (start + PAGE).to_string());
        Ok(r)
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        customer(&ctx)?;
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            ResourceTemplate::new("errand://product/{id}", "product")
                .with_description("A product: price, pack, stock, tags and option groups")
                .with_mime_type("application/json"),
            ResourceTemplate::new("errand://help/{id}", "help")
                .with_description("A help article and the policy it states")
                .with_mime_type("text/markdown"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        customer(&ctx)?;
        let k = &self.app.knowledge;
        let uri = request.uri;
        let missing = || ErrorData::resource_not_found(format!("no resource `{uri}`"), None);
        let text = if let Some(id) = uri.strip_prefix("errand://product/") {
            let p = k.product(id).ok_or_else(missing)?;
            ResourceContents::TextResourceContents {
                uri: uri.clone(),
                mime_type: Some("application/json".into()),
                text: json!(p).to_string(),
                meta: None,
            }
        } else if let Some(id) = uri.strip_prefix("errand://help/") {
            // Agent-only policy is not a resource here at all.
            let a = k
                .help
                .iter()
                .find(|a| a.id == id && a.audience == Audience::Customer)
                .ok_or_else(missing)?;
            ResourceContents::TextResourceContents {
                uri: uri.clone(),
                mime_type: Some("text/markdown".into()),
                text: format!("# {}\n\n{}", a.title, a.body),
                meta: None,
            }
        } else {
            return Err(missing());
        };
        Ok(ReadResourceResult::new(vec![text]).into())
    }
}
