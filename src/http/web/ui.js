// Shared by the widget and the console: `web.rs` puts this file and the
// page's own script inside one function, so nothing leaks into the host page.
"use strict";

const money = (m) =>
  new Intl.NumberFormat("en-IN", { style: "currency", currency: "INR" }).format((m || 0) / 100);

/// A DOM element: attributes (`class`, `text`, `on<event>` handlers, others
/// as attributes; `false`/`null` left out) and children (arrays flattened).
const el = (tag, attrs, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat()) if (kid) e.append(kid);
  return e;
};

/// A readable sentence for a failed response: the server's JSON error, or the status.
async function problem(res) {
  try {
    const body = await res.json();
    if (body && body.error && body.error.message) return body.error.message;
  } catch (_) {
    /* not JSON */
  }
  return `the server answered ${res.status} ${res.statusText || ""}`.trim();
}
