// The official MCP TypeScript SDK (@modelcontextprotocol/sdk) against a live
// `errand serve`, as another agent would use Errand: lists and calls the
// customer's tools over streamable HTTP, pays and books only through
// propose_action / confirm_action, reads resources, and checks that tokens,
// ownership and bad input are enforced. Exits non-zero on the first failure.
//
//   node tests/mcp/run.mjs            (after `make index`)
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startServer, stop } from "../node/server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const bin = process.env.ERRAND_BIN || join(process.env.CARGO_TARGET_DIR || join(root, "target"), "release/errand");

function check(cond, message) {
  if (!cond) throw new Error(message);
}

async function fixture(base) {
  const r = await fetch(base + "/v1/test_helpers/fixtures", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  check(r.ok, `fixture: ${r.status}`);
  return r.json();
}

async function connect(base, token) {
  const transport = new StreamableHTTPClientTransport(new URL(base + "/mcp"), {
    requestInit: { headers: token ? { authorization: `Bearer ${token}` } : {} },
  });
  const client = new Client({ name: "errand-mcp-test", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

/// A tool call that must succeed; its structured result.
async function call(client, name, args) {
  const r = await client.callTool({ name, arguments: args });
  check(!r.isError, `${name} ${JSON.stringify(args)} failed: ${JSON.stringify(r.content)}`);
  return r.structuredContent;
}

/// A tool call that must fail as a tool error with `code`.
async function refused(client, name, args, code) {
  const r = await client.callTool({ name, arguments: args });
  check(r.isError, `${name} ${JSON.stringify(args)} should fail, got ${JSON.stringify(r.structuredContent)}`);
  check(r.structuredContent?.error?.code === code, `${name}: wanted ${code}, got ${JSON.stringify(r.structuredContent)}`);
  return r.structuredContent.error.message;
}

async function scenarios(base) {
  const [me, other] = [await fixture(base), await fixture(base)];
  const client = await connect(base, me.customer_token);

  // The customer's tools, and the two-step gate instead of the writes that spend money.
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  for (const t of ["search_products", "add_to_cart", "view_cart", "recommend", "quote_ride", "order_status", "search_help", "propose_action", "confirm_action"]) {
    check(names.includes(t), `tools/list lacks ${t}: ${names}`);
  }
  for (const t of ["checkout", "book_ride", "cancel_order", "request_refund", "analyse_ticket", "decide_action", "create_ticket"]) {
    check(!names.includes(t), `tools/list offers ${t} directly`);
  }
  const propose = tools.find((t) => t.name === "propose_action");
  check(
    JSON.stringify(propose.inputSchema.properties.tool.enum.sort()) === JSON.stringify(["book_ride", "cancel_order", "checkout", "request_refund"]),
    `propose_action writes: ${JSON.stringify(propose.inputSchema)}`
  );
  const add = tools.find((t) => t.name === "add_to_cart");
  check(add.inputSchema.required.includes("product_id"), "add_to_cart keeps its schema from tools/");

  // Paying in one call is impossible: the write is not a tool here.
  let direct = null;
  try {
    await client.callTool({ name: "checkout", arguments: {} });
  } catch (e) {
    direct = e;
  }
  check(direct && direct.code === -32602, `a direct checkout must be refused as an unknown tool, got ${direct}`);

  // Search and fill the cart.
  const found = await call(client, "search_products", { query: "chai latte", limit: 3 });
  check(found.products.length > 0, "search found nothing");
  const product = found.products[0];
  const cart = await call(client, "add_to_cart", { product_id: product.product_id, quantity: 2 });
  check(cart.groups.length === 1, `cart: ${JSON.stringify(cart)}`);
  await refused(client, "search_products", { query: "tea", limit: "lots" }, "invalid_arguments");

  // Recommendations: what goes with the cart, the cart's own lines left out.
  const recs = await call(client, "recommend", { kind: "cart", limit: 5 });
  check(recs.kind === "cart" && recs.items.length > 0, `recommend: ${JSON.stringify(recs)}`);
  check(!recs.items.some((i) => i.product_id === product.product_id), "a cart line was recommended back");
  await refused(client, "recommend", { kind: "also_like" }, "invalid_arguments");

  // Propose: the exact total, in minor units and words; nothing runs yet.
  const proposal = await call(client, "propose_action", { tool: "checkout" });
  const viewed = await call(client, "view_cart", {});
  check(proposal.terms.total_minor === viewed.total_minor, `terms ${JSON.stringify(proposal.terms)} vs cart ${viewed.total_minor}`);
  check(proposal.arguments.expected_total_minor === viewed.total_minor, "the total is pinned into the call");
  check(/Pay Rs/.test(proposal.summary), `summary: ${proposal.summary}`);
  const orders0 = (await call(client, "order_status", {})).order;
  check(orders0 === null, "proposing must not place an order");

  // A changed or foreign proposal is not found.
  const forged = proposal.proposal_id.replace(/.$/, (c) => (c === "0" ? "1" : "0"));
  await refused(client, "confirm_action", { proposal_id: forged }, "not_found");
  const stranger = await connect(base, other.customer_token);
  await refused(stranger, "confirm_action", { proposal_id: proposal.proposal_id }, "not_found");

  // Confirm runs exactly that, once: a retry replays the same orders.
  const placed = await call(client, "confirm_action", { proposal_id: proposal.proposal_id });
  check(placed.orders.length === 1, `checkout: ${JSON.stringify(placed)}`);
  check(placed.total_minor === viewed.total_minor, `charged ${placed.total_minor}, shown ${viewed.total_minor}`);
  const again = await call(client, "confirm_action", { proposal_id: proposal.proposal_id });
  check(JSON.stringify(again.orders.map((o) => o.order_id)) === JSON.stringify(placed.orders.map((o) => o.order_id)), "a retried confirmation placed new orders");
  check((await call(client, "view_cart", {})).groups.length === 0, "the cart empties after checkout");

  // A yes to old terms does not pay new ones.
  await call(client, "add_to_cart", { product_id: product.product_id, quantity: 1 });
  const older = await call(client, "propose_action", { tool: "checkout" });
  await call(client, "add_to_cart", { product_id: product.product_id, quantity: 1 });
  await refused(client, "confirm_action", { proposal_id: older.proposal_id }, "refused");
  check((await call(client, "view_cart", {})).groups.length === 1, "a refused confirmation leaves the cart");

  // Rides: quote, propose the cheapest option's exact fare, book.
  const quote = await call(client, "quote_ride", { from: "Old Town", to: "Lakeview" });
  const cheapest = quote.options.reduce((a, b) => (a.fare.total_minor <= b.fare.total_minor ? a : b));
  const ride = await call(client, "propose_action", { tool: "book_ride", arguments: { quote_id: quote.quote_id, ride_type: cheapest.ride_type } });
  check(ride.terms.fare_minor === cheapest.fare.total_minor, `ride terms ${JSON.stringify(ride.terms)}`);
  await refused(client, "propose_action", { tool: "book_ride", arguments: { quote_id: quote.quote_id, ride_type: "helicopter" } }, "invalid_arguments");
  await refused(stranger, "propose_action", { tool: "book_ride", arguments: { quote_id: quote.quote_id } }, "refused");
  const booked = await call(client, "confirm_action", { proposal_id: ride.proposal_id });
  check(booked.fare_minor === cheapest.fare.total_minor && booked.ride_type === cheapest.ride_type, `booked: ${JSON.stringify(booked)}`);

  // Cancelling the order just placed: the refund is in the terms.
  const orderId = placed.orders[0].order_id;
  const cancel = await call(client, "propose_action", { tool: "cancel_order", arguments: { order_id: orderId } });
  check(Number.isInteger(cancel.terms.refund_minor), `cancel terms: ${JSON.stringify(cancel.terms)}`);
  await refused(stranger, "propose_action", { tool: "cancel_order", arguments: { order_id: orderId } }, "refused");
  const cancelled = await call(client, "confirm_action", { proposal_id: cancel.proposal_id });
  check(JSON.stringify(cancelled).includes("cancel"), `cancelled: ${JSON.stringify(cancelled)}`);

  // Resources: products and customer help, paged; agent-only policy does not exist here.
  const page = await client.listResources();
  check(page.resources.some((r) => r.uri.startsWith("errand://help/")), "no help resources");
  check(page.nextCursor, "the catalog is paged");
  const next = await client.listResources({ cursor: page.nextCursor });
  check(next.resources.some((r) => r.uri.startsWith("errand://product/")), "no product resources");
  const read = await client.readResource({ uri: `errand://product/${product.product_id}` });
  check(JSON.parse(read.contents[0].text).id === product.product_id, "product resource");
  const help = await client.readResource({ uri: "errand://help/help-refunds" });
  check(help.contents[0].text.startsWith("# "), "help resource");
  let hidden = null;
  try {
    await client.readResource({ uri: "errand://help/help-cancel-rules-agent" });
  } catch (e) {
    hidden = e;
  }
  check(hidden, "an agent-only article reached a customer");
  check(!page.resources.concat(next.resources).some((r) => r.uri.endsWith("-agent")), "agent-only article listed");

  // search_help: an article named by id comes first, unless the caller may not read it.
  const named = await call(client, "search_help", { query: "how do refunds work", article: "help-invoice" });
  check(named.articles[0]?.id === "help-invoice", `named article not first: ${JSON.stringify(named)}`);
  check(new Set(named.articles.map((a) => a.id)).size === named.articles.length, "an article listed twice");
  const naming = await call(client, "search_help", { query: "cancellation fee", article: "help-cancel-rules-agent" });
  check(naming.articles.length > 0, "naming a hidden article emptied the search");
  check(!naming.articles.some((a) => a.id.endsWith("-agent")), `an agent-only article reached a customer: ${JSON.stringify(naming)}`);

  // No token, or an agent's: no MCP session at all.
  for (const [who, token, status] of [["no token", null, 401], ["an agent token", me.agent_token, 403]]) {
    let failed = null;
    try {
      await connect(base, token);
    } catch (e) {
      failed = e;
    }
    check(failed && failed.code === status, `${who}: wanted ${status}, got ${failed} (code ${failed?.code})`);
  }

  await client.close();
  await stranger.close();
}

const server = await startServer(root, bin, "mcp", "warn,qdrant_edge=error,rmcp=error");
let code = 0;
try {
  await scenarios(server.base);
  console.log("mcp client: all scenarios passed");
} catch (e) {
  console.error("mcp client:", e);
  code = 1;
} finally {
  await stop(server);
}
process.exit(code);
