"use strict";
// The page's entry point: the admin API client (bearer token from
// localStorage, asked for on a 401), the live /api/stream snapshots that
// redraw the front page every second, the header, the admin-access banner,
// consumer, stuck orders and dead letters, and routing to the order page.

const token = () => localStorage.getItem("orderServiceToken") || "";
/** State-changing calls carry JSON (or the bearer header) so the server can tell them from cross-site forms. */
const headers = (init) => ({ ...(token() ? { Authorization: "Bearer " + token() } : {}), ...(init.method === "POST" ? { "Content-Type": "application/json" } : {}) });

async function api(path, init = {}) {
  const body = init.method === "POST" ? "{}" : undefined;
  const res = await fetch(path, { body, ...init, headers: { ...headers(init), ...(init.headers || {}) } });
  if (res.status === 401) {
    const t = prompt("Admin token (ADMIN_TOKEN)");
    if (t !== null) { localStorage.setItem("orderServiceToken", t); return api(path, init); }
  }
  if (res.status === 403) showAdminBanner("This browser is not allowed to use the admin API (403): without ADMIN_TOKEN, admin routes answer loopback clients only.");
  if (!res.ok) {
    const detail = await res.json().then((b) => b.error && b.error.message).catch(() => "");
    throw new Error(`${path.split("?")[0]} → ${res.status}${detail ? ": " + detail : ""}`);
  }
  return res.json();
}

function showAdminBanner(text) { $("admin-banner").hidden = !text; $("admin-banner").textContent = text || ""; }

function renderAdmin(admin) {
  if (!admin) return;
  showAdminBanner(admin.token_set ? "" : "No ADMIN_TOKEN is set: admin routes (/api/*, /dlq, PUT /inventory) are open to every loopback client of this host and refused to others. Set ADMIN_TOKEN to require a bearer token.");
}

function renderOverview(o) {
  $("ready").className = "badge " + (o.ready ? "ready" : "not-ready");
  $("ready").textContent = o.ready ? "ready" : "not ready: " + o.failing.join(", ");
  $("nats").className = "badge " + (o.nats.connected ? "connected" : "disconnected");
  $("nats").textContent = "NATS " + (o.nats.connected ? "connected" : "disconnected");
  const sum = (k) => o.throughput.reduce((n, s) => n + s[k], 0);
  $("orders").innerHTML = `<table><tr><th>in progress here</th><td class="num">${o.orders.in_progress}</td></tr>
    <tr><th>accepted (5 min)</th><td class="num">${sum("accepted")}</td></tr><tr><th>completed (5 min)</th><td class="num">${sum("completed")}</td></tr>
    <tr><th>failed (5 min)</th><td class="num">${sum("failed")}</td></tr></table>`;
  $("stuck").innerHTML = o.orders.stuck.length
    ? `<table><tr><th>order</th><th>status</th><th>for</th></tr>${o.orders.stuck.map((s) => `<tr><td><a href="/dashboard/orders/${esc(s.order_id)}">${esc(s.order_id)}</a></td><td>${badge(s.status, s.status)}</td><td>${s.stuck_for_secs} s</td></tr>`).join("")}</table>`
    : `none (threshold ${o.orders.stuck_after_secs} s)`;
  const c = o.consumer;
  $("consumer").innerHTML = c.error ? `<span class="err">${esc(c.error)}</span>`
    : `<table><tr><th>durable</th><td>${esc(c.name)} ${c.paused ? badge("paused", "paused") : badge("pulling", "running")}</td></tr>
       <tr><th>pending</th><td class="num">${c.pending}</td></tr><tr><th>ack pending</th><td class="num">${c.ack_pending}</td></tr>
       <tr><th>redelivered</th><td class="num">${c.redelivered}</td></tr><tr><th>waiting pulls</th><td class="num">${c.waiting}</td></tr></table>`;
  renderAdmin(o.admin);
  renderCharts(o.throughput);
}

async function loadDlq() {
  try {
    const { dead_letters } = await api("/dlq?limit=50");
    $("dlq").className = dead_letters.length ? "" : "mute";
    $("dlq").innerHTML = dead_letters.length ? `<table><tr><th>id</th><th>order</th><th>reason</th><th>delivered</th><th></th></tr>${dead_letters.map((d) =>
      `<tr><td>${d.id}</td><td>${d.order_id ? `<a href="/dashboard/orders/${esc(d.order_id)}">${esc(d.order_id)}</a>` : "–"}</td><td>${esc(d.reason)}</td><td>${d.delivered}</td><td><button data-replay="${d.id}">Replay</button></td></tr>`).join("")}</table>` : "none";
  } catch (e) { $("dlq").innerHTML = `<span class="err">${esc(e.message)}</span>`; }
}

document.addEventListener("click", async (ev) => {
  const id = ev.target?.dataset?.replay;
  if (!id) return;
  ev.target.disabled = true;
  try { await api(`/dlq/${id}/replay`, { method: "POST" }); } catch (e) { alert(e.message); }
  loadDlq();
});

function onSnapshot(snap) {
  renderOverview(snap.overview);
  renderTree(snap.actors, snap.overview);
  renderAlert(snap.actors, snap.overview);
  $("live").textContent = "live · " + new Date().toLocaleTimeString();
}

async function readStream(res) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  $("live").textContent = "live";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buf.indexOf("\n\n")) >= 0) {
      const frame = buf.slice(0, cut); buf = buf.slice(cut + 2);
      const data = frame.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
      if (data) onSnapshot(JSON.parse(data));
    }
  }
}

async function stream() {
  for (;;) {
    try {
      const res = await fetch("/api/stream", { headers: headers({}) });
      if (res.status === 401 || res.status === 403) { await api("/api/overview"); continue; }
      if (!res.ok) throw new Error("/api/stream → " + res.status);
      await readStream(res);
    } catch (e) { $("live").textContent = "reconnecting… (" + e.message + ")"; }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("lookup").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const id = $("order-id").value.trim();
    if (id) location.href = "/dashboard/orders/" + encodeURIComponent(id);
  });
  const match = location.pathname.match(/^\/dashboard\/orders\/([^/]+)$/);
  if (match) { orderPage(decodeURIComponent(match[1])); } else { initOrders(); loadDlq(); setInterval(loadDlq, 5000); }
  stream();
});
