// Errand care console: a ticket queue, each ticket's analysis (order
// timeline, diagnosis, cited articles, suggested reply, proposed actions to
// approve or reject, the team it is routed to) and an assist chat; an
// Insights view (assistant outcomes, team queues, pain points) drawn as SVG
// here, with no charting library; and an Operations view (what to reorder,
// customer segments). It keeps the agent's token in this tab
// only and uses the public API.
const $ = (id) => document.getElementById(id);
const words = (s) => String(s || "").replace(/_/g, " ");

let token = sessionStorage.getItem("errand-agent-token");
let current = null; // ticket id on screen
let chatSession = null;
let teams = []; // [{id, label, open_tickets}]
const storeNames = {}; // merchant id -> name, from the stock alerts

async function call(method, path, body) {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: { authorization: "Bearer " + token, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new Error("cannot reach Errand (" + e.message + ")");
  }
  if (!res.ok) {
    const err = new Error(await problem(res));
    err.status = res.status;
    throw err;
  }
  return res.json();
}

function showProblem(e) {
  $("problem").textContent = e ? "Sorry: " + e.message : "";
  $("problem").hidden = !e;
}

async function guarded(f) {
  try {
    showProblem(null);
    await f();
  } catch (e) {
    if (e.status === 401) signOut();
    showProblem(e);
  }
}

function signOut() {
  token = null;
  sessionStorage.removeItem("errand-agent-token");
  $("app").hidden = true;
  $("insights").hidden = true;
  $("ops").hidden = true;
  $("views").hidden = true;
  $("signout").hidden = true;
  $("signin").hidden = false;
  $("who").textContent = "";
}

async function signIn() {
  await loadQueue();
  sessionStorage.setItem("errand-agent-token", token);
  $("signin").hidden = true;
  $("views").hidden = false;
  showView(location.hash.startsWith("#insights") ? "insights" : location.hash.startsWith("#ops") ? "ops" : "tickets");
  $("signout").hidden = false;
  $("who").textContent = "Signed in";
}

const teamLabel = (id) => (teams.find((t) => t.id === id) || { label: id || "no team" }).label;

async function loadTeams() {
  teams = (await call("GET", "/v1/insights/teams")).teams;
}

async function loadQueue() {
  const [{ tickets }] = await Promise.all([call("GET", "/v1/tickets"), loadTeams()]);
  $("tickets").replaceChildren(
    ...tickets.map((t) =>
      el(
        "li",
        {},
        el(
          "button",
          {
            type: "button",
            "aria-current": String(t.id === current),
            "data-ticket": t.id,
            onclick: () => guarded(() => openTicket(t.id)),
          },
          el("div", { text: t.subject }),
          el("div", { class: "meta", text: `${t.id} · ${words(t.status)} · ${t.order_id || "no order"} · ` }, el("span", { class: "team", text: teamLabel(t.team) }))
        )
      )
    )
  );
  if (!tickets.length) $("tickets").append(el("li", { class: "meta", text: "No tickets." }));
}

function timeline(order) {
  return el(
    "ol",
    { class: "timeline", "aria-label": "Order timeline" },
    order.events.map((e) =>
      el(
        "li",
        {},
        el("strong", { text: words(e.state) }),
        el("span", { class: "meta", text: ` · ${new Date(e.at).toLocaleString()} · ${e.actor}` }),
        e.note ? el("div", { class: "meta", text: e.note }) : null
      )
    )
  );
}

async function openArticle(id) {
  const a = await call("GET", "/v1/help/" + encodeURIComponent(id));
  $("article-title").textContent = a.title;
  $("article-body").textContent = a.body;
  $("article").showModal();
}

function actionRow(ticket, a) {
  const amount = a.params && a.params.amount_minor ? " · " + money(a.params.amount_minor) : "";
  const decide = (verb) =>
    guarded(async () => {
      await call("POST", `/v1/tickets/${encodeURIComponent(ticket)}/actions/${encodeURIComponent(a.id)}/${verb}`);
      await openTicket(ticket);
    });
  return el(
    "div",
    { class: "action", "data-action": a.kind },
    el(
      "div",
      {},
      el("strong", { text: words(a.kind) + amount }),
      " ",
      el("span", { class: "status", text: a.status }),
      el("div", { class: "meta", text: a.reason })
    ),
    a.status === "proposed"
      ? el(
          "div",
          {},
          el("button", { class: "primary", type: "button", "aria-label": "Approve " + words(a.kind), text: "Approve", onclick: () => decide("approve") }),
          " ",
          el("button", { class: "danger", type: "button", "aria-label": "Reject " + words(a.kind), text: "Reject", onclick: () => decide("reject") })
        )
      : null
  );
}

async function openTicket(id) {
  if (id !== current) chatSession = null;
  current = id;
  const a = await call("GET", `/v1/tickets/${encodeURIComponent(id)}/assist`);
  const conversation = a.session_id ? (await call("GET", "/v1/sessions/" + encodeURIComponent(a.session_id))).messages : [];
  const t = a.ticket;
  const d = a.diagnosis;
  $("ticket").replaceChildren(
    el("h2", { text: t.subject }),
    el("p", { class: "meta", text: `${t.id} · customer ${t.customer_id} · ${words(t.status)} · opened ${new Date(t.created_at).toLocaleString()}` }),
    routeForm(t),
    el(
      "div",
      { class: "data" },
      el(
        "section",
        { class: "box", "aria-label": "Diagnosis" },
        el("h2", { text: "Diagnosis" }),
        el("span", { class: "problem", text: words(a.problem) }),
        d ? el("p", { text: d.summary }) : el("p", { class: "meta", text: "No order on this ticket." }),
        d ? el("p", { class: "meta", text: `${words(d.state)} for ${Math.round(d.minutes_in_state)} min · refundable ${money(d.refundable_minor)} · reblasts ${d.reblasts}` }) : null
      ),
      el(
        "section",
        { class: "box", "aria-label": "Order" },
        el("h2", { text: a.order ? `Order ${a.order.id} · ${a.order.merchant_name} · ${money(a.order.total_minor)}` : "Order" }),
        a.order ? timeline(a.order) : el("p", { class: "meta", text: "None." })
      )
    ),
    el(
      "section",
      { class: "box", "aria-label": "Proposed actions" },
      el("h2", { text: "Proposed actions" }),
      a.actions.length ? a.actions.map((x) => actionRow(t.id, x)) : el("p", { class: "meta", text: "Nothing to do." })
    ),
    el(
      "div",
      { class: "data" },
      el(
        "section",
        { class: "box", "aria-label": "Suggested reply" },
        el("h2", { text: "Suggested reply" }),
        el("p", { id: "suggested", text: a.suggested_reply }),
        el("button", { type: "button", text: "Copy", onclick: () => navigator.clipboard && navigator.clipboard.writeText(a.suggested_reply) })
      ),
      el(
        "section",
        { class: "box", "aria-label": "Policies cited" },
        el("h2", { text: "Policies cited" }),
        el(
          "ul",
          {},
          a.citations.map((c) =>
            el("li", {}, el("a", { href: "#", text: `${c.title} (${c.id})`, onclick: (e) => {
              e.preventDefault();
              guarded(() => openArticle(c.id));
            } }))
          )
        )
      )
    ),
    el(
      "section",
      { class: "box", "aria-label": "Customer conversation" },
      el("h2", { text: "Customer conversation" }),
      conversation.length
        ? conversation.map((m) => el("div", { class: "msg " + m.role, text: (m.role === "user" ? "Customer: " : "Errand: ") + m.content }))
        : el("p", { class: "meta", text: "The ticket was not raised in a chat." })
    ),
    el(
      "section",
      { class: "box", "aria-label": "Assist chat" },
      el("h2", { text: "Assist chat" }),
      el("div", { id: "chat-log", role: "log", "aria-live": "polite" }),
      el(
        "form",
        { class: "inline", onsubmit: (e) => {
          e.preventDefault();
          const input = e.target.querySelector("input");
          const text = input.value.trim();
          input.value = "";
          if (text) guarded(() => assist(t.id, text));
        } },
        el("input", { "aria-label": "Ask about this ticket", placeholder: "e.g. why is it stuck? / approve the reblast" }),
        el("button", { class: "primary", type: "submit", text: "Ask" })
      )
    )
  );
  await loadQueue();
}

// The team a ticket is routed to, and a choice to send it to another.
function routeForm(t) {
  const pick = el(
    "select",
    { "aria-label": "Team", id: "route-team" },
    teams.map((x) => el("option", { value: x.id, selected: x.id === t.team, text: x.label }))
  );
  return el(
    "form",
    { class: "route meta", onsubmit: (e) => {
      e.preventDefault();
      guarded(async () => {
        await call("POST", `/v1/tickets/${encodeURIComponent(t.id)}/route`, { team: pick.value });
        await openTicket(t.id);
      });
    } },
    el("span", { text: `Routed to ${teamLabel(t.team)}${t.routed_by ? " by " + t.routed_by : ""} · ` }),
    pick,
    " ",
    el("button", { type: "submit", text: "Re-route" })
  );
}

async function assist(ticket, text) {
  const log = $("chat-log");
  log.append(el("div", { class: "msg user", text: "You: " + text }));
  const body = { mode: "assist", ticket_id: ticket, message: text };
  if (chatSession) body.session_id = chatSession;
  const turn = await call("POST", "/v1/chat", body);
  chatSession = turn.session_id;
  const kept = Array.from(log.children);
  const decided = turn.tool_calls.some((c) => c.name === "decide_action" && c.ok);
  if (decided) await openTicket(ticket);
  $("chat-log").replaceChildren(...kept, el("div", { class: "msg assistant", text: "Errand: " + turn.reply }));
}

// ---- Insights ----

const NS = "http://www.w3.org/2000/svg";
const COLOURS = ["#1f4e8c", "#c0392b", "#2e8b57", "#d68910", "#7d3c98", "#148f77"];

/// An SVG element, like `el`.
const svg = (tag, attrs, ...kids) => {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const kid of kids.flat(Infinity)) if (kid) e.append(kid);
  return e;
};

/// Horizontal bars: [{label, value, note}] scaled to the largest.
function bars(rows, label) {
  const w = 520, row = 26, left = 170;
  const max = Math.max(1, ...rows.map((r) => r.value));
  return svg(
    "svg",
    { viewBox: `0 0 ${w} ${rows.length * row + 4}`, width: "100%", role: "img", "aria-label": label },
    rows.map((r, i) => [
      svg("text", { x: 0, y: i * row + 17, text: r.label }),
      svg("rect", { x: left, y: i * row + 4, height: 18, rx: 3, fill: COLOURS[0], width: Math.max(1, ((w - left - 90) * r.value) / max) }),
      svg("text", { x: left + ((w - left - 90) * r.value) / max + 6, y: i * row + 17, text: r.note || String(r.value) }),
    ])
  );
}

const day = (d) => new Date(d + "T00:00:00Z");
const iso = (d) => d.toISOString().slice(0, 10);

/// Complaints per week of the period for the largest pain points, as lines.
function trendChart(report, from, to) {
  const weeks = Math.max(1, Math.ceil(((day(to) - day(from)) / 864e5 + 1) / 7));
  const top = report.pain_points.slice(0, COLOURS.length);
  const series = top.map((p) => {
    const v = new Array(weeks).fill(0);
    for (const d of p.by_day) v[Math.min(weeks - 1, Math.floor((day(d.day) - day(from)) / 864e5 / 7))] += d.complaints;
    return v;
  });
  const w = 900, h = 220, pad = 30;
  const max = Math.max(1, ...series.flat());
  const x = (i) => pad + (weeks === 1 ? 0 : ((w - 2 * pad) * i) / (weeks - 1));
  const y = (v) => h - pad - ((h - 2 * pad) * v) / max;
  const chart = svg(
    "svg",
    { viewBox: `0 0 ${w} ${h}`, width: "100%", role: "img", "aria-label": "Complaints per week by pain point" },
    svg("line", { x1: pad, y1: h - pad, x2: w - pad, y2: h - pad, stroke: "#c7d0de" }),
    svg("text", { x: 0, y: y(max) + 4, text: String(max) }),
    svg("text", { x: 0, y: h - pad + 4, text: "0" }),
    svg("text", { x: pad, y: h - 8, text: from }),
    svg("text", { x: w - pad - 70, y: h - 8, text: to }),
    series.map((v, k) =>
      svg("polyline", {
        fill: "none",
        stroke: COLOURS[k],
        "stroke-width": 2.5,
        "data-aspect": top[k].aspect,
        points: v.map((n, i) => `${x(i)},${y(n)}`).join(" "),
      })
    )
  );
  const legend = el(
    "div",
    { class: "legend" },
    top.map((p, k) => el("span", {}, el("i", { style: `background:${COLOURS[k]}` }), p.label))
  );
  return [chart, legend];
}

function painRow(p) {
  const trend = p.trend === null ? "new" : (p.trend >= 0 ? "+" : "") + Math.round(p.trend * 100) + "%";
  return el(
    "div",
    { class: "pain", "data-aspect": p.aspect },
    el("strong", { text: `${p.label} · ${p.complaints} (${trend}) ` }),
    el("span", { class: "team", text: teamLabel(p.team) }),
    el("p", { text: p.summary }),
    p.examples.map((q) => el("q", { text: `${q.text} (${q.order_id || "no order"}, ${q.day})` })),
    el(
      "p",
      { class: "meta" },
      "First fix: ",
      el("a", { href: "#", text: p.first_fix.title, onclick: (e) => {
        e.preventDefault();
        guarded(() => openArticle(p.first_fix.article));
      } }),
      " · " + p.first_fix.text
    )
  );
}

async function loadInsights() {
  const from = $("from").value, to = $("to").value, merchant = $("merchant").value;
  const q = `from=${from}&to=${to}`;
  history.replaceState(null, "", `#insights?${q}${merchant ? "&merchant=" + merchant : ""}`);
  const [outcomes, pains] = await Promise.all([
    call("GET", "/v1/insights/assistant?" + q),
    call("GET", `/v1/insights/pain-points?${q}${merchant ? "&merchant=" + encodeURIComponent(merchant) : ""}`),
    loadTeams(),
  ]);
  const t = outcomes.total;
  $("funnel").replaceChildren(
    bars(
      [
        { label: "Conversations", value: t.conversations },
        { label: "Put something in the cart", value: t.with_basket },
        { label: "Ordered", value: t.ordered, note: `${t.ordered}${t.conversion === null ? "" : " (" + Math.round(t.conversion * 100) + "%)"}` },
        { label: "Handed to a person", value: t.handed_over },
        { label: "Resolved by Errand", value: t.resolved_without_person },
      ],
      "Assistant outcome funnel"
    ),
    el("p", { class: "meta", text: `CSAT ${outcomes.csat === null ? "-" : outcomes.csat.toFixed(2) + " of 5"} from ${outcomes.ratings} ratings` })
  );
  $("queues").replaceChildren(bars(teams.map((x) => ({ label: x.label, value: x.open_tickets })), "Open tickets per team"));
  $("trend").replaceChildren(...(pains.pain_points.length ? trendChart(pains, from, to) : [el("p", { class: "meta", text: "No complaints in this period." })]));
  $("pains").replaceChildren(
    el("p", { class: "meta", text: `${pains.complaints} complaints (${pains.previous_complaints} the period before)` }),
    ...pains.pain_points.map(painRow)
  );
  // The merchants seen so far, to narrow the page to one.
  const known = new Set(Array.from($("merchant").options).map((o) => o.value));
  for (const p of pains.pain_points)
    for (const m of p.merchants)
      if (!known.has(m.id)) {
        known.add(m.id);
        $("merchant").append(el("option", { value: m.id, text: m.name }));
      }
}

/// What to reorder now, as a table, fewest days of cover first.
function alertsTable(report) {
  if (!report.alerts.length) return el("p", { class: "meta", text: "Nothing to reorder now." });
  const head = ["Product", "Store", "In stock", "Forecast a day", "Days of cover", "Reorder"];
  return el(
    "div",
    {},
    el("p", { class: "meta", text: `Stock that lasts at most ${report.lead_days + report.safety_days} days at the ${report.method.toUpperCase()} forecast; a reorder covers ${report.lead_days} + ${report.cover_days} days (${report.article}).` }),
    el(
      "table",
      { "aria-label": "Products to reorder" },
      el("tr", {}, ...head.map((h) => el("th", { text: h }))),
      ...report.alerts.map((a) =>
        el(
          "tr",
          { "data-product": a.product_id },
          el("td", { text: a.title }),
          el("td", { "data-store": a.merchant_id, text: storeNames[a.merchant_id] || a.merchant_id }),
          el("td", { class: "n", text: String(a.stock) }),
          el("td", { class: "n", text: a.daily_forecast.toFixed(1) }),
          el("td", { class: "n", text: a.days_of_cover.toFixed(1) }),
          el("td", { class: "n", text: String(a.reorder_quantity) })
        )
      )
    )
  );
}

/// A store's (or every store's, summed) units a day: history solid, forecast dashed.
function forecastChart(stores) {
  if (!stores.length) return el("p", { class: "meta", text: "No forecast: the demand history is empty." });
  const add = (key) => stores[0][key].map((_, i) => stores.reduce((t, st) => t + st[key][i], 0));
  const hist = add("history"), fc = add("forecast");
  const all = hist.concat(fc);
  const w = 900, h = 220, pad = 34;
  const max = Math.max(1, ...all);
  const x = (i) => pad + ((w - 2 * pad) * i) / Math.max(1, all.length - 1);
  const y = (v) => h - pad - ((h - 2 * pad) * v) / max;
  const start = day(stores[0].history_start);
  const date = (i) => iso(new Date(start.getTime() + i * 864e5));
  const line = (vals, from, attrs) =>
    svg("polyline", { fill: "none", "stroke-width": 2.5, points: vals.map((v, i) => `${x(from + i)},${y(v)}`).join(" "), ...attrs });
  return el(
    "div",
    {},
    svg(
      "svg",
      { viewBox: `0 0 ${w} ${h}`, width: "100%", role: "img", "aria-label": "Units a day: history and forecast" },
      svg("line", { x1: pad, y1: h - pad, x2: w - pad, y2: h - pad, stroke: "#c7d0de" }),
      svg("line", { x1: x(hist.length - 0.5), y1: pad / 2, x2: x(hist.length - 0.5), y2: h - pad, stroke: "#c7d0de", "stroke-dasharray": "4 4" }),
      svg("text", { x: 0, y: y(max) + 4, text: String(Math.round(max)) }),
      svg("text", { x: 0, y: h - pad + 4, text: "0" }),
      svg("text", { x: pad, y: h - 8, text: date(0) }),
      svg("text", { x: x(hist.length) - 40, y: h - 8, text: date(hist.length) }),
      svg("text", { x: w - pad - 70, y: h - 8, text: date(all.length - 1) }),
      line(hist, 0, { stroke: COLOURS[0], "data-series": "history" }),
      line(fc, hist.length, { stroke: COLOURS[1], "stroke-dasharray": "6 4", "data-series": "forecast" })
    ),
    el("p", { class: "meta", text: `${stores.length === 1 ? storeNames[stores[0].merchant_id] || stores[0].merchant_id : "All stores"}: sold (blue) and forecast (red, MSTL), next 4 weeks ${Math.round(fc.reduce((a, b) => a + b, 0))} units.` })
  );
}

/// Expected pickups per area (busiest first) and hour as shaded cells, then the plan.
function fleetView(f) {
  const rows = f.areas
    .map((a) => ({ ...a, total: a.expected.reduce((t, v) => t + v, 0) }))
    .sort((a, b) => b.total - a.total)
    .slice(0, 12);
  const max = Math.max(0.1, ...rows.flatMap((a) => a.expected));
  const hours = [...Array(24).keys()];
  const heat = el(
    "table",
    { id: "heat", class: "data", "aria-label": "Expected pickups by area and hour" },
    el("tr", {}, el("th", { text: "Area" }), ...hours.map((hr) => el("th", { text: hr % 3 ? "" : String(hr), class: hr === f.hour ? "now" : "" }))),
    ...rows.map((a) =>
      el(
        "tr",
        { "data-area": a.name },
        el("th", { text: `${a.name} (${a.idle_drivers} idle)` }),
        ...a.expected.map((v, hr) =>
          el("td", { title: `${a.name}, ${hr}:00: ${v.toFixed(1)} expected`, style: `background:rgba(31,78,140,${(v / max).toFixed(2)})${hr === f.hour ? ";outline:2px solid #c0392b" : ""}` })
        )
      )
    )
  );
  const incentives = f.moves.reduce((t, m) => t + m.incentive_minor, 0);
  return el(
    "div",
    {},
    el("p", { class: "meta", text: `${f.day}, means of ${f.history_days.length} same weekdays. Plan for ${f.hour}:00: ${f.moves.length} idle drivers to move, ${money(incentives)} in incentives (help-fleet-rebalancing-agent).` }),
    heat,
    f.moves.length
      ? el(
          "table",
          { class: "data", "aria-label": "Driver moves" },
          el("tr", {}, ...["Driver", "From", "To", "km", "Incentive"].map((h) => el("th", { text: h }))),
          ...f.moves.map((m) =>
            el("tr", { "data-driver": m.driver_id }, el("td", { text: m.driver_id }), el("td", { text: m.from_area }), el("td", { text: m.to_area }), el("td", { class: "n", text: m.km.toFixed(1) }), el("td", { class: "n", text: money(m.incentive_minor) }))
          )
        )
      : el("p", { class: "meta", text: "No idle driver needs to move this hour." }),
    ...(f.surge.length
      ? [el("p", { text: "Surge suggested: " + f.surge.map((g) => `${g.area} ${(g.surge_tenths / 10).toFixed(1)}x (${g.expected} expected, ${g.drivers} drivers)`).join("; ") })]
      : [])
  );
}

const pct = (r) => `${(r.rate * 100).toFixed(1)}% (${(r.interval[0] * 100).toFixed(1)}-${(r.interval[1] * 100).toFixed(1)})`;

/// Each experiment: conversion per variant with intervals, and the tests against the control.
function experimentsView(list) {
  if (!list.length) return el("p", { class: "meta", text: "No experiments configured." });
  return el(
    "div",
    {},
    ...list.flatMap((e) => [
      el("h3", { text: `${e.id} (${e.kind}, ${e.running ? "running" : "stopped"})` }),
      el(
        "table",
        { class: "data", "aria-label": `Experiment ${e.id}`, "data-experiment": e.id },
        el("tr", {}, ...["Variant", "Shown to", "Clicked", "Added to cart", "Ordered"].map((h) => el("th", { text: h }))),
        ...e.variants.map((v) =>
          el("tr", { "data-variant": v.variant }, el("td", { text: v.variant + (v.variant === e.control ? " (control)" : "") }), el("td", { class: "n", text: String(v.exposed) }), el("td", { class: "n", text: pct(v.click) }), el("td", { class: "n", text: pct(v.add_to_cart) }), el("td", { class: "n", text: pct(v.order) }))
        )
      ),
      el("p", { class: "meta", text: e.comparisons.map((c) => `${c.variant} ${c.outcome}: ${c.difference >= 0 ? "+" : ""}${(c.difference * 100).toFixed(1)} points, p = ${c.p_value.toFixed(3)}${c.significant ? " (significant)" : ""}`).join("; ") + ` (${Math.round(e.confidence * 100)}% Wilson intervals; ${e.article})` }),
    ])
  );
}

function driftView(d) {
  return el(
    "table",
    { class: "data", "aria-label": "Input drift" },
    el("tr", {}, ...["Input", "PSI", "Status", "Before", "Last week", "Moved most"].map((h) => el("th", { text: h }))),
    ...d.inputs.map((i) =>
      el("tr", { "data-input": i.input }, el("td", { text: i.input.replace(/_/g, " ") }), el("td", { class: "n", text: i.psi.toFixed(3) }), el("td", { text: i.status.replace("_", " ") }), el("td", { class: "n", text: String(i.baseline) }), el("td", { class: "n", text: String(i.recent) }), el("td", { text: i.top.slice(0, 2).map(([k, a, b]) => `${k || "(none)"} ${(a * 100).toFixed(0)}% to ${(b * 100).toFixed(0)}%`).join(", ") }))
    )
  );
}

async function loadOps() {
  const merchant = $("ops-merchant").value;
  const hour = $("ops-hour").value;
  history.replaceState(null, "", "#ops" + (merchant ? "?merchant=" + merchant : ""));
  const only = merchant ? "merchant=" + encodeURIComponent(merchant) : "";
  const [alerts, forecasts, fleet, experiments, drift] = await Promise.all([
    call("GET", "/v1/ops/stock-alerts?limit=25" + (only ? "&" + only : "")),
    call("GET", "/v1/ops/forecast" + (only ? "?" + only : "")),
    call("GET", "/v1/ops/fleet" + (hour ? "?hour=" + hour : "")),
    call("GET", "/v1/ops/experiments"),
    call("GET", "/v1/ops/drift"),
  ]);
  const segments = await call("GET", "/v1/ops/segments").catch((e) => {
    if (e.status === 404) return null;
    throw e;
  });
  $("segments").replaceChildren(
    ...(segments
      ? [
          bars(segments.segments.map((g) => ({ label: g.name, value: g.customers })), "Customers per segment"),
          el("p", { class: "meta", text: `k-means, k = ${segments.k} by silhouette (${segments.silhouette.toFixed(2)}), computed ${segments.computed_at.slice(0, 10)}` }),
          ...segments.segments.map((g) => el("p", { text: `${g.name}: ${g.customers} customers, last order ${g.recency_days} days ago, ${g.orders} orders, ${money(g.spend_minor)} spent on average` })),
        ]
      : [el("p", { class: "meta", text: "No segments yet: run `errand segments`." })])
  );
  // The stores with something to reorder, to narrow the table to one.
  for (const st of alerts.stores) {
    storeNames[st.merchant_id] = st.name;
    const opt = Array.from($("ops-merchant").options).find((o) => o.value === st.merchant_id);
    if (opt) opt.textContent = st.name;
    else $("ops-merchant").append(el("option", { value: st.merchant_id, text: st.name }));
  }
  $("ops-merchant").value = merchant;
  $("alerts").replaceChildren(alertsTable(alerts));
  $("forecast").replaceChildren(forecastChart(forecasts));
  $("fleet").replaceChildren(fleetView(fleet));
  $("experiments").replaceChildren(experimentsView(experiments));
  $("drift").replaceChildren(driftView(drift));
}

function showView(view) {
  const insights = view === "insights";
  $("app").hidden = view !== "tickets";
  $("insights").hidden = !insights;
  $("ops").hidden = view !== "ops";
  $("show-tickets").setAttribute("aria-pressed", String(view === "tickets"));
  $("show-insights").setAttribute("aria-pressed", String(insights));
  $("show-ops").setAttribute("aria-pressed", String(view === "ops"));
  if (view === "ops") {
    const m = new URLSearchParams(location.hash.split("?")[1] || "").get("merchant");
    if (m && !Array.from($("ops-merchant").options).some((o) => o.value === m))
      $("ops-merchant").append(el("option", { value: m, text: m }));
    if (m) $("ops-merchant").value = m;
    guarded(loadOps);
    return;
  }
  if (!insights) {
    history.replaceState(null, "", location.pathname);
    return;
  }
  // The period from the address (#insights?from=&to=&merchant=), else the last 90 days.
  const p = new URLSearchParams(location.hash.split("?")[1] || "");
  const today = new Date();
  $("to").value = p.get("to") || iso(today);
  $("from").value = p.get("from") || iso(new Date(today - 89 * 864e5));
  if (p.get("merchant")) {
    if (!Array.from($("merchant").options).some((o) => o.value === p.get("merchant")))
      $("merchant").append(el("option", { value: p.get("merchant"), text: p.get("merchant") }));
    $("merchant").value = p.get("merchant");
  }
  guarded(loadInsights);
}

$("show-tickets").addEventListener("click", () => showView("tickets"));
$("show-insights").addEventListener("click", () => showView("insights"));
for (let hr = 0; hr < 24; hr++) $("ops-hour").append(el("option", { value: String(hr), text: `${hr}:00` }));
$("show-ops").addEventListener("click", () => {
  history.replaceState(null, "", "#ops");
  showView("ops");
});
$("ops-filter").addEventListener("submit", (e) => {
  e.preventDefault();
  guarded(loadOps);
});
$("period").addEventListener("submit", (e) => {
  e.preventDefault();
  guarded(loadInsights);
});

$("signin").addEventListener("submit", (e) => {
  e.preventDefault();
  token = $("token").value.trim();
  guarded(signIn);
});
$("signout").addEventListener("click", signOut);
$("refresh").addEventListener("click", () => guarded(loadQueue));
if (token) guarded(signIn);
