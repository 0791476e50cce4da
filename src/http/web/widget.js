// Errand chat widget. One tag mounts it on any page:
//   <script src="https://errand.example.com/widget.js" data-token="TOKEN" defer></script>
// Options (data- attributes on the tag): token (a customer bearer token from
// `errand token`), demo-customer (demo mode only: act as a seeded customer),
// api (the server, default: where this script came from), open ("true" to
// start open). Everything it shows comes from the public HTTP API.
const script = document.currentScript;
const opt = (k) => script && script.dataset[k];
const api = (opt("api") || new URL(script ? script.src : location.href).origin).replace(/\/$/, "");

const CSS = `
.ew-root{--ew-accent:#0b6e4f;--ew-bg:#fff;--ew-soft:#f2f5f3;--ew-text:#1b1f1d;--ew-muted:#5b6660;
font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ew-text)}
.ew-root *{box-sizing:border-box}
.ew-launch{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:28px;
padding:14px 20px;background:var(--ew-accent);color:#fff;font:inherit;font-weight:600;cursor:pointer;
box-shadow:0 4px 14px rgba(0,0,0,.25)}
.ew-panel{position:fixed;right:20px;bottom:20px;z-index:2147483001;width:400px;height:min(640px,calc(100vh - 40px));
background:var(--ew-bg);border-radius:14px;box-shadow:0 8px 30px rgba(0,0,0,.3);display:flex;flex-direction:column;overflow:hidden}
.ew-root [hidden]{display:none!important}
.ew-head{display:flex;align-items:center;gap:8px;padding:12px 14px;background:var(--ew-accent);color:#fff}
.ew-head h2{font-size:16px;margin:0;flex:1}
.ew-head button{background:rgba(255,255,255,.15);color:#fff;border:0;border-radius:8px;padding:6px 10px;font:inherit;cursor:pointer}
.ew-log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:10px}
.ew-msg{max-width:92%;padding:9px 12px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word}
.ew-user{align-self:flex-end;background:var(--ew-accent);color:#fff}
.ew-bot{align-self:flex-start;background:var(--ew-soft)}
.ew-error{align-self:flex-start;background:#fdecea;color:#8a1c12;border:1px solid #f3b8b0}
.ew-rate{display:flex;flex-wrap:wrap;gap:4px;align-items:center;margin-top:6px}
.ew-updated{font-size:12px;color:var(--ew-muted);font-style:italic;display:block;margin-top:4px}
.ew-typing span{display:inline-block;width:7px;height:7px;margin:0 2px;border-radius:50%;background:var(--ew-muted);
animation:ew-blink 1s infinite}
.ew-typing span:nth-child(2){animation-delay:.2s}.ew-typing span:nth-child(3){animation-delay:.4s}
@keyframes ew-blink{0%,100%{opacity:.2}50%{opacity:1}}
.ew-cards{display:flex;flex-direction:column;gap:8px;margin-top:8px}
.ew-card{background:#fff;border:1px solid #dfe5e1;border-radius:10px;padding:9px 10px}
.ew-card h3{font-size:14px;margin:0 0 2px}
.ew-meta{font-size:13px;color:var(--ew-muted)}
.ew-opts{display:flex;flex-wrap:wrap;gap:6px;margin:6px 0;font-size:13px}.ew-opt{border:0;padding:0;margin:0}.ew-opt legend{font-weight:600}.ew-opt label{margin-right:8px}.ew-edit summary{font-size:12px;cursor:pointer}
.ew-price{font-weight:600}
.ew-badge{display:inline-block;font-size:11px;padding:1px 6px;margin:3px 4px 0 0;border-radius:8px;background:#e3f1ea;color:#0b5a40}
.ew-row{display:flex;gap:6px;align-items:center;flex-wrap:wrap;margin-top:6px}
.ew-btn{border:1px solid var(--ew-accent);background:#fff;color:var(--ew-accent);border-radius:8px;padding:5px 10px;font:inherit;font-size:13px;cursor:pointer}
.ew-btn.ew-primary{background:var(--ew-accent);color:#fff}
.ew-btn:focus-visible,.ew-chip:focus-visible,.ew-launch:focus-visible,.ew-head button:focus-visible,.ew-form textarea:focus-visible{outline:3px solid #f5b700;outline-offset:2px}
.ew-check{list-style:none;margin:4px 0;padding:0;font-size:13px}
.ew-check li{padding:2px 0}
.ew-ok::before{content:"✓ ";color:#0b6e4f;font-weight:700}
.ew-sub::before{content:"↺ ";color:#a36100;font-weight:700}
.ew-skip::before{content:"– ";color:var(--ew-muted)}
.ew-miss::before{content:"✗ ";color:#b3261e;font-weight:700}
.ew-timeline{list-style:none;margin:6px 0 0;padding:0 0 0 12px;border-left:2px solid #cfd8d3;font-size:13px}
.ew-timeline li{margin:0 0 6px;position:relative}
.ew-timeline li::before{content:"";position:absolute;left:-18px;top:5px;width:10px;height:10px;border-radius:50%;background:var(--ew-accent)}
.ew-chips{display:flex;gap:6px;flex-wrap:wrap;padding:0 12px 8px}
.ew-chip{border:1px solid #b9c7bf;background:#fff;border-radius:16px;padding:5px 11px;font:inherit;font-size:13px;cursor:pointer}
.ew-form{display:flex;gap:8px;padding:10px 12px;border-top:1px solid #e3e8e5}
.ew-form textarea{flex:1;resize:none;border:1px solid #c5cfc9;border-radius:10px;padding:8px 10px;font:inherit;height:40px}
.ew-cart{position:absolute;inset:52px 0 0 0;background:#fff;overflow-y:auto;padding:12px 14px}
.ew-cart h3{font-size:15px;margin:12px 0 4px}
.ew-lines{width:100%;border-collapse:collapse;font-size:13px}
.ew-lines td{padding:3px 2px;vertical-align:middle}
.ew-lines td.ew-num{text-align:right;white-space:nowrap}
.ew-sum{display:flex;justify-content:space-between;font-size:13px;padding:2px 0}
.ew-total{font-weight:700;font-size:15px;border-top:1px solid #dfe5e1;margin-top:6px;padding-top:6px}
.ew-recs{margin:10px 0 4px}.ew-recs h4{font-size:13px;margin:0 0 4px;color:#46534c}.ew-recs .ew-row{flex-wrap:wrap;gap:6px}
.ew-note{width:100%;margin:4px 0;padding:5px 8px;border:1px solid #c5cfc9;border-radius:8px;font:inherit;font-size:13px}
.ew-nudge{background:#fff6de;border-radius:8px;padding:6px 8px;font-size:13px;margin:8px 0}
@media (max-width:480px){.ew-panel{right:0;bottom:0;width:100vw;height:100vh;border-radius:0}}
`;

function headers(extra) {
  const h = Object.assign({ "content-type": "application/json" }, extra);
  if (opt("token")) h.authorization = "Bearer " + opt("token");
  else if (opt("demoCustomer")) h["x-demo-customer"] = opt("demoCustomer");
  return h;
}

async function call(method, path, body, extra) {
  let res;
  try {
    res = await fetch(api + path, {
      method,
      headers: headers(extra),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new Error("cannot reach the assistant (" + e.message + ")");
  }
  if (!res.ok) throw new Error(await problem(res));
  return res.json();
}

// ---- layout ----
const style = el("style", { text: CSS });
const root = el("div", { class: "ew-root", id: "errand-widget" });
const launch = el("button", {
  class: "ew-launch",
  type: "button",
  "aria-label": "Open the shopping assistant",
  "aria-expanded": "false",
  text: "Ask Errand",
});
const log = el("div", { class: "ew-log", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
const chips = el("div", { class: "ew-chips", role: "group", "aria-label": "Suggested replies" });
const input = el("textarea", {
  id: "ew-input",
  rows: "1",
  placeholder: "Ask for groceries, food or a ride…",
  "aria-label": "Message",
  maxlength: "2000",
});
const sendBtn = el("button", { class: "ew-btn ew-primary", type: "submit", text: "Send" });
const form = el("form", { class: "ew-form", "aria-label": "Send a message" }, input, sendBtn);
const cartBtn = el("button", {
  type: "button",
  "aria-label": "Show cart",
  "aria-controls": "ew-cart",
  "aria-expanded": "false",
  text: "Cart (0)",
});
const closeBtn = el("button", { type: "button", "aria-label": "Close the assistant", text: "✕" });
const cartPanel = el("section", { class: "ew-cart", id: "ew-cart", "aria-label": "Cart", hidden: true });
const panel = el(
  "section",
  { class: "ew-panel", role: "dialog", "aria-label": "Errand shopping assistant", hidden: true },
  el("div", { class: "ew-head" }, el("h2", { text: "Errand" }), cartBtn, closeBtn),
  log,
  chips,
  form,
  cartPanel
);
root.append(style, launch, panel);

let session = null;
let busy = false;

function open(show) {
  panel.hidden = !show;
  launch.hidden = show;
  launch.setAttribute("aria-expanded", String(show));
  if (show) {
    input.focus();
    if (!log.children.length) greet();
  } else launch.focus();
}

function greet() {
  bubble("bot", "Hi! I can fill your basket, cook up a recipe list, book a ride or check an order.");
  setChips(["Snacks for a rainy day", "Ingredients for chicken biryani for 4", "Where is my order?"]);
}

function bubble(kind, text) {
  const b = el("div", { class: "ew-msg ew-" + kind });
  if (text) b.append(el("span", { class: "ew-text", text }));
  log.append(b);
  log.scrollTop = log.scrollHeight;
  return b;
}

function setChips(list) {
  chips.replaceChildren(
    ...(list || []).map((c) => el("button", { class: "ew-chip", type: "button", text: c, onclick: () => send(c) }))
  );
}

// ---- cards ----
const badges = (tags) => (tags || []).map((t) => el("span", { class: "ew-badge", text: t }));

// Product id -> packs in the cart, from the last cart seen; product cards
// show it and offer Remove only for what is in the cart.
let inCart = new Map();

function syncProductCards() {
  for (const card of log.querySelectorAll(".ew-product")) {
    const n = inCart.get(card.dataset.product) || 0;
    card.querySelector(".ew-incart").textContent = n ? `${n} in cart` : "";
    card.querySelector(".ew-remove").hidden = !n;
  }
}

// Option groups of the products shown, for editing a cart line's options.
const optionGroups = new Map();

const delta = (c) => (c.price_minor ? ` (${c.price_minor > 0 ? "+" : "−"}${money(Math.abs(c.price_minor))})` : "");

/// One picker per option group: a select for one choice (a required group
/// with no default starts on "Choose"), checkboxes for add-ons.
function optionPickers(p, chosen, onChange) {
  return (p.options || []).map((g) => {
    const picked = chosen[g.id] || g.default || [];
    if (g.max === 1) {
      const choices = g.choices.map((c) => el("option", { value: c.id, text: c.name + delta(c), selected: picked.includes(c.id) }));
      const none = picked.length ? null : el("option", { value: "", text: "Choose " + g.name.toLowerCase(), selected: true, disabled: true });
      return el(
        "label",
        { class: "ew-opt" },
        g.name + " ",
        el("select", { "aria-label": g.name + " for " + p.title, "data-group": g.id, onchange: (e) => onChange(g.id, [e.target.value]) }, none, choices)
      );
    }
    return el(
      "fieldset",
      { class: "ew-opt" },
      el("legend", { text: g.name }),
      g.choices.map((c) =>
        el(
          "label",
          {},
          el("input", {
            type: "checkbox",
            "aria-label": c.name + " for " + p.title,
            checked: picked.includes(c.id),
            onchange: (e) => {
              const now = new Set(chosen[g.id] || g.default || []);
              e.target.checked ? now.add(c.id) : now.delete(c.id);
              onChange(g.id, [...now]);
            },
          }),
          " " + c.name + delta(c)
        )
      )
    );
  });
}

function productCard(p) {
  optionGroups.set(p.product_id, p);
  const chosen = {};
  const needed = (p.options || []).filter((g) => g.min > 0 && !(g.default || []).length);
  const add = el("button", {
    class: "ew-btn",
    type: "button",
    "aria-label": "Add " + p.title + " to cart",
    text: "Add",
    disabled: needed.length > 0,
    onclick: () => cartChange("POST", "/v1/cart/items", { product_id: p.product_id, quantity: 1, options: chosen }),
  });
  const pickers = optionPickers(p, chosen, (g, cs) => {
    chosen[g] = cs;
    add.disabled = needed.some((n) => !(chosen[n.id] || []).length);
  });
  return el(
    "article",
    { class: "ew-card ew-product", "aria-label": p.title, "data-product": p.product_id },
    el("h3", { text: p.title }),
    el("div", { class: "ew-meta" }, `${p.merchant_name} · ${p.pack} · `, el("span", { class: "ew-price", text: money(p.price_minor) })),
    el("div", {}, badges(p.tags)),
    pickers.length ? el("div", { class: "ew-opts" }, pickers) : null,
    el(
      "div",
      { class: "ew-row" },
      add,
      el("button", {
        class: "ew-btn ew-remove",
        type: "button",
        "aria-label": "Remove " + p.title + " from cart",
        text: "Remove",
        hidden: !inCart.get(p.product_id),
        onclick: () => cartChange("DELETE", "/v1/cart/items/" + encodeURIComponent(p.product_id)),
      }),
      el("span", { class: "ew-meta ew-incart", "aria-live": "polite" })
    )
  );
}

function recipeCard(r) {
  const li = (cls, text) => el("li", { class: cls, text });
  const items = [
    ...(r.matched || []).map((m) => li("ew-ok", `${m.quantity} × ${m.product.title} (${m.ingredient})`)),
    ...(r.substituted || []).map((m) =>
      li("ew-sub", `${m.quantity} × ${m.product.title}, instead of ${m.instead_of} (out of stock)`)
    ),
    ...(r.skipped || []).map((s) => li("ew-skip", `${s} (you have it)`)),
    ...(r.missing || []).map((s) => li("ew-miss", `${s}: not found`)),
  ];
  return el(
    "article",
    { class: "ew-card ew-recipe", "aria-label": "Recipe basket for " + r.recipe.title },
    el("h3", { text: `${r.recipe.title}, ${r.recipe.servings} servings` }),
    el("ul", { class: "ew-check", "aria-label": "Ingredients" }, items)
  );
}

function rideCard(q) {
  return el(
    "article",
    { class: "ew-card ew-ride", "aria-label": "Ride quote" },
    el("h3", { text: `${q.from.name} → ${q.to.name}` }),
    el("div", { class: "ew-meta", text: `${q.distance_km} km · ${q.traffic} traffic` }),
    el(
      "div",
      { class: "ew-row" },
      (q.options || []).map((o) =>
        el("button", {
          class: "ew-btn",
          type: "button",
          "aria-label": `Book a ${o.ride_type} for ${money(o.fare.total_minor)}, about ${o.duration_minutes} minutes`,
          text: `Book ${o.ride_type} · ${money(o.fare.total_minor)} · ${o.duration_minutes} min`,
          onclick: () => send("book the " + o.ride_type),
        })
      )
    )
  );
}

function orderCard(o, d) {
  return el(
    "article",
    { class: "ew-card ew-order", "aria-label": "Order " + o.id },
    el("h3", { text: `Order ${o.id} · ${o.merchant_name}` }),
    el("div", { class: "ew-meta", text: `${o.status.replace(/_/g, " ")} · ${money(o.total_minor)}` }),
    d && d.summary ? el("div", { class: "ew-meta", text: d.summary }) : null,
    el(
      "ol",
      { class: "ew-timeline", "aria-label": "Order timeline" },
      (o.events || []).map((e) =>
        el("li", { text: `${e.state.replace(/_/g, " ")} · ${new Date(e.at).toLocaleTimeString()}${e.note ? " · " + e.note : ""}` })
      )
    ),
    // Delivered: ask how it was.
    o.status === "delivered" ? ratePrompt({ order_id: o.id }, "order", true) : null
  );
}

// "You may also like": a row from /v1/recommendations, filled when it
// answers; nothing is shown if it fails or is empty. Products already on
// screen (`shown`) are left out.
function alsoLike(query, shown) {
  const row = el("section", { class: "ew-recs", "aria-label": "You may also like", hidden: true });
  const skip = new Set(shown.map((p) => p.product_id));
  call("GET", "/v1/recommendations?limit=4&" + query)
    .then((r) => {
      const items = (r.items || []).filter((i) => !skip.has(i.product_id)).slice(0, 3);
      if (!items.length) return;
      const n = r.nudge;
      row.replaceChildren(
        el("h4", { text: "You may also like" }),
        n ? el("div", { class: "ew-nudge", role: "note", text: `Add ${n.product_title} for ${money(n.price_minor)} and unlock: ${n.offer_title}` }) : null,
        el(
          "div",
          { class: "ew-row" },
          items.map((i) =>
            el("button", {
              class: "ew-btn ew-rec",
              type: "button",
              "aria-label": `Also add ${i.title}, ${money(i.price_minor)}`,
              text: `+ ${i.title} · ${money(i.price_minor)}`,
              // A size to choose first: the assistant asks for it.
              onclick: () =>
                i.needs_options ? send("add " + i.title) : cartChange("POST", "/v1/cart/items", { product_id: i.product_id, quantity: 1 }),
            })
          )
        )
      );
      row.hidden = false;
    })
    .catch(() => {});
  return row;
}

// Five stars stored as feedback (POST /v1/feedback) on `about` ({session_id}
// or {order_id}); a second tap replaces the rating. With `words`, a line to
// say what went well or wrong goes with it, and the answer says which team
// reads it.
function ratePrompt(about, what, words) {
  const row = el("div", { class: "ew-rate", role: "group", "aria-label": `Rate this ${what}` });
  const thanks = el("span", { class: "ew-meta", "aria-live": "polite" });
  const note = words ? el("input", { class: "ew-note", "aria-label": `What went well or wrong with this ${what}?`, placeholder: "What went well or wrong? (optional)" }) : null;
  const rate = async (n) => {
    try {
      const f = await call("POST", "/v1/feedback", { ...about, rating: n, text: note ? note.value.trim() : "" });
      const team = words && f.text ? ` Passed to our ${f.team_label.toLowerCase()} team${f.ticket_id ? ", ticket " + f.ticket_id : ""}.` : "";
      thanks.textContent = `Thanks: you rated this ${what} ${n} out of 5.${team}`;
    } catch (e) {
      failure(e);
    }
  };
  const buttons = [1, 2, 3, 4, 5].map((n) =>
    el("button", { class: "ew-btn", type: "button", "aria-label": `Rate ${n} out of 5`, text: "★".repeat(n), onclick: () => rate(n) })
  );
  row.append(el("span", { class: "ew-meta", text: `How was this ${what}? ` }), note, ...buttons, thanks);
  return row;
}

function cardsFor(turn) {
  const c = turn.cards || {};
  const out = [];
  (c.products || []).forEach((p) => out.push(productCard(p)));
  if ((c.products || []).length) out.push(alsoLike("kind=also_like&product_id=" + encodeURIComponent(c.products[0].product_id), c.products));
  if (c.recipe && c.recipe.found) out.push(recipeCard(c.recipe));
  if (c.ride_quote) out.push(rideCard(c.ride_quote));
  if (c.order) out.push(orderCard(c.order, c.diagnosis));
  (c.offers || []).forEach((o) =>
    out.push(el("article", { class: "ew-card" }, el("h3", { text: o.title }), el("div", { class: "ew-meta", text: o.description || "" })))
  );
  return out.length ? el("div", { class: "ew-cards" }, out) : null;
}

function render(b, turn, corrected) {
  const text = el("span", { class: "ew-text", text: turn.reply });
  b.replaceChildren(text);
  const cards = cardsFor(turn);
  if (cards) b.append(cards);
  syncProductCards();
  if (corrected) b.append(el("span", { class: "ew-updated", text: "Updated answer" }));
  // An order placed in this chat: ask how it went, once per answer.
  if ((turn.tool_calls || []).some((c) => c.name === "checkout" && c.ok)) b.append(ratePrompt({ session_id: turn.session_id }, "chat", false));
  setChips(turn.suggestions);
  if (turn.cart) showCart(turn.cart);
  log.scrollTop = log.scrollHeight;
}

// ---- cart ----
function showCart(c) {
  inCart = new Map();
  for (const i of (c.groups || []).flatMap((g) => g.items)) inCart.set(i.product_id, (inCart.get(i.product_id) || 0) + i.quantity);
  syncProductCards();
  const count = c.item_count || 0;
  cartBtn.textContent = `Cart (${count})`;
  const row = (label, m, cls) =>
    m ? el("div", { class: "ew-sum " + (cls || "") }, el("span", { text: label }), el("span", { text: money(m) })) : null;
  const groups = (c.groups || []).map((g) =>
    el(
      "section",
      { class: "ew-group", "aria-label": g.merchant_name },
      el("h3", { text: g.merchant_name }),
      el(
        "table",
        { class: "ew-lines" },
        el(
          "tbody",
          {},
          g.items.map((i) =>
            el(
              "tr",
              {},
              el(
                "td",
                {},
                i.title,
                i.options_label ? el("div", { class: "ew-meta ew-chosen", text: i.options_label }) : null,
                optionGroups.has(i.product_id)
                  ? el(
                      "details",
                      { class: "ew-edit" },
                      el("summary", { text: "Change options" }),
                      optionPickers(optionGroups.get(i.product_id), selection(i), (g, cs) =>
                        cartChange("PATCH", "/v1/cart/items/" + encodeURIComponent(i.line_id), { options: { [g]: cs } })
                      )
                    )
                  : null
              ),
              el(
                "td",
                { class: "ew-num" },
                el("button", {
                  class: "ew-btn",
                  type: "button",
                  "aria-label": "One fewer " + i.title,
                  text: "−",
                  onclick: () => setQuantity(i.line_id, i.quantity - 1),
                }),
                el("span", { text: " " + i.quantity + " " }),
                el("button", {
                  class: "ew-btn",
                  type: "button",
                  "aria-label": "One more " + i.title,
                  text: "+",
                  onclick: () => setQuantity(i.line_id, i.quantity + 1),
                })
              ),
              el("td", { class: "ew-num", text: money(i.line_total_minor) })
            )
          )
        )
      ),
      row("Delivery", g.delivery_fee_minor),
      row("Packaging", g.packaging_fee_minor),
      g.below_minimum_by_minor ? el("div", { class: "ew-nudge", text: `Add ${money(g.below_minimum_by_minor)} more to reach this shop's minimum order.` }) : null
    )
  );
  const parts = [
    el("h3", { text: count ? "Your cart" : "Your cart is empty" }),
    groups,
    c.nudge ? el("div", { class: "ew-nudge", role: "note", text: c.nudge.message }) : null,
    count ? alsoLike("kind=cart", []) : null,
    count
      ? el(
          "div",
          { class: "ew-summary" },
          row("Items", c.subtotal_minor),
          row("Delivery", c.delivery_fee_minor),
          row("Packaging", c.packaging_fee_minor),
          c.discount_minor ? row("Discounts", -c.discount_minor) : null,
          (c.applied_offers || []).map((o) => el("div", { class: "ew-meta", text: `${o.title}: −${money(o.amount_minor)}` })),
          row("Taxes", c.tax_minor),
          el("div", { class: "ew-sum ew-total" }, el("span", { text: "Total" }), el("span", { class: "ew-cart-total", text: money(c.total_minor) }))
        )
      : null,
    count
      ? el("div", { class: "ew-row" }, el("button", {
          class: "ew-btn ew-primary",
          type: "button",
          text: "Checkout",
          onclick: () => {
            toggleCart(false);
            send("checkout");
          },
        }))
      : null,
  ];
  cartPanel.replaceChildren(...parts.flat().filter(Boolean));
}

async function refreshCart() {
  try {
    showCart(await call("GET", "/v1/cart"));
  } catch (e) {
    failure(e);
  }
}

async function cartChange(method, path, body) {
  try {
    showCart(await call(method, path, body));
  } catch (e) {
    failure(e);
  }
}

/// A cart line's picks as group -> choices.
function selection(line) {
  const out = {};
  for (const p of line.options || []) (out[p.group] = out[p.group] || []).push(p.choice);
  return out;
}

function setQuantity(id, q) {
  const path = "/v1/cart/items/" + encodeURIComponent(id);
  return q > 0 ? cartChange("PATCH", path, { quantity: q }) : cartChange("DELETE", path);
}

function toggleCart(show) {
  cartPanel.hidden = !show;
  cartBtn.setAttribute("aria-expanded", String(show));
  cartBtn.setAttribute("aria-label", show ? "Back to chat" : "Show cart");
  if (show) {
    refreshCart();
    cartPanel.setAttribute("tabindex", "-1");
    cartPanel.focus();
  }
}

function failure(e) {
  const b = bubble("error", "Sorry, something went wrong: " + e.message);
  b.setAttribute("role", "alert");
}

// ---- chat over server-sent events ----
// Sends of one message while the assistant answers `busy`.
const BUSY_TRIES = 3;

async function send(text) {
  text = (text || "").trim();
  if (!text || busy) return;
  busy = true;
  sendBtn.disabled = true;
  setChips([]);
  bubble("user", text);
  const b = bubble("bot");
  b.setAttribute("aria-busy", "true");
  b.append(el("span", { class: "ew-typing", "aria-label": "Errand is typing" }, el("span"), el("span"), el("span")));
  try {
    // A busy assistant (code `busy`, as a 503 or inside the stream) has done
    // nothing with the message: it is sent again once `Retry-After` (1 s when
    // unreadable) has passed, a few times, with the typing bubble still up.
    for (let tries = 1; ; tries++) {
      const res = await fetch(api + "/v1/chat", {
        method: "POST",
        headers: headers({ accept: "text/event-stream" }),
        body: JSON.stringify(session ? { session_id: session, message: text } : { message: text }),
      }).catch((e) => {
        throw new Error("cannot reach the assistant (" + e.message + ")");
      });
      try {
        if (!res.ok) {
          const err = new Error(await problem(res.clone()));
          err.code = await res.json().then((v) => v.error.code, () => null);
          err.wait = Number(res.headers.get("retry-after")) || 1;
          throw err;
        }
        await readEvents(res, b);
        break;
      } catch (e) {
        if (e.code !== "busy" || tries >= BUSY_TRIES) throw e;
        await new Promise((done) => setTimeout(done, (e.wait || 1) * 1000));
      }
    }
  } catch (e) {
    b.remove();
    failure(e);
  } finally {
    b.removeAttribute("aria-busy");
    busy = false;
    sendBtn.disabled = false;
    input.focus();
  }
}

async function readEvents(res, b) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  let text = null;
  let first = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      let name = "message";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data += line.slice(5).trimStart();
      }
      const v = data ? JSON.parse(data) : {};
      if (name === "message.delta") {
        if (!text) {
          b.replaceChildren();
          text = el("span", { class: "ew-text" });
          b.append(text);
        }
        text.textContent += v.text;
        log.scrollTop = log.scrollHeight;
      } else if (name === "error") {
        throw Object.assign(new Error(v.error.message), { code: v.error.code });
      } else if (name === "cart") {
        showCart(v);
      } else if (name === "done") {
        // Cards come with the whole turn, so the text streams without layout jumps.
        if (!first) render(b, v, false);
        session = v.session_id;
        first = first || v;
      } else if (name === "correction") {
        first = v;
        render(b, v, true);
        session = v.session_id;
      }
    }
  }
  if (!first) throw new Error("the answer was cut off; please try again");
}

// ---- events ----
launch.addEventListener("click", () => open(true));
closeBtn.addEventListener("click", () => open(false));
cartBtn.addEventListener("click", () => toggleCart(cartPanel.hidden));
form.addEventListener("submit", (e) => {
  e.preventDefault();
  const t = input.value;
  input.value = "";
  send(t);
});
input.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) {
    e.preventDefault();
    form.requestSubmit();
  }
});
panel.addEventListener("keydown", (e) => {
  if (e.key !== "Escape") return;
  if (!cartPanel.hidden) toggleCart(false);
  else open(false);
});

const mount = () => {
  document.body.append(root);
  if (opt("open") === "true") open(true);
};
if (document.body) mount();
else document.addEventListener("DOMContentLoaded", mount);
window.Errand = { open: () => open(true), send };
