// Errand care console: a ticket queue, each ticket's analysis (order
// timeline, diagnosis, cited articles, suggested reply, proposed actions to
// approve or reject) and an assist chat. It keeps the agent's token in this
// tab only and uses the public API.
const $ = (id) => document.getElementById(id);
const words = (s) => String(s || "").replace(/_/g, " ");

let token = sessionStorage.getItem("errand-agent-token");
let current = null; // ticket id on screen
let chatSession = null;

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
  $("signout").hidden = true;
  $("signin").hidden = false;
  $("who").textContent = "";
}

async function signIn() {
  await loadQueue();
  sessionStorage.setItem("errand-agent-token", token);
  $("signin").hidden = true;
  $("app").hidden = false;
  $("signout").hidden = false;
  $("who").textContent = "Signed in";
}

async function loadQueue() {
  const { tickets } = await call("GET", "/v1/tickets");
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
          el("div", { class: "meta", text: `${t.id} · ${words(t.status)} · ${t.order_id || "no order"}` })
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
    el(
      "div",
      { class: "grid" },
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
      { class: "grid" },
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

$("signin").addEventListener("submit", (e) => {
  e.preventDefault();
  token = $("token").value.trim();
  guarded(signIn);
});
$("signout").addEventListener("click", signOut);
$("refresh").addEventListener("click", () => guarded(loadQueue));
if (token) guarded(signIn);
