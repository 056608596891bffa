"use strict";
// The Orders panel (GET /api/orders): status chips, reason, customer and
// time-range filters, auto-refresh, paging to older orders, click-through
// to the order page; and the front page's "Failed in the last hour" card,
// whose reasons open the panel filtered to them in one click.

const STATUSES = ["PENDING", "STOCK_RESERVED", "PAYMENT_CAPTURED", "COMPENSATING", "COMPLETED", "FAILED"];
const ordersView = { cursors: [null], loading: false };

function filterQuery() {
  const q = new URLSearchParams();
  const statuses = [...document.querySelectorAll("#status-chips input:checked")].map((i) => i.value);
  if (statuses.length) q.set("status", statuses.join(","));
  if ($("f-reason").value) q.set("reason", $("f-reason").value);
  if ($("f-customer").value.trim()) q.set("customer_id", $("f-customer").value.trim());
  q.set("since", new Date(Date.now() - Number($("f-range").value) * 60000).toISOString());
  q.set("limit", "25");
  return q;
}

function orderRow(o) {
  return `<tr data-order="${esc(o.order_id)}"><td><a href="/dashboard/orders/${esc(o.order_id)}">${esc(o.order_id)}</a></td>
    <td>${esc(o.customer_id)}</td><td>${badge(o.status, o.status)}</td><td>${esc(o.failure_reason || "")}</td>
    <td class="num">${esc(fmtMoney(o.total_minor, o.currency))}</td>
    <td title="${esc(fmtAbs(o.created_at))}">${esc(fmtAgo(o.created_at))}</td>
    <td class="num">${esc(fmtMs(o.elapsed_ms))}</td><td class="num">${o.deliveries}</td></tr>`;
}

async function loadOrders() {
  if (ordersView.loading) return;
  ordersView.loading = true;
  const q = filterQuery();
  const cursor = ordersView.cursors[ordersView.cursors.length - 1];
  if (cursor) q.set("cursor", cursor);
  try {
    const page = await api("/api/orders?" + q);
    $("orders-table").tBodies[0].innerHTML = page.orders.map(orderRow).join("")
      || `<tr><td colspan="8" class="mute">no order matches</td></tr>`;
    const reasons = Object.entries(page.by_reason).map(([r, n]) => `${r} ${n}`).join(", ");
    $("orders-summary").textContent = `${page.matched} matching` + (reasons ? ` · failed by reason: ${reasons}` : "")
      + (ordersView.cursors.length > 1 ? ` · page ${ordersView.cursors.length}` : "");
    $("orders-more").hidden = !page.next_cursor;
    $("orders-more").dataset.cursor = page.next_cursor || "";
  } catch (e) {
    $("orders-summary").innerHTML = `<span class="err">${esc(e.message)}</span>`;
    $("orders-table").tBodies[0].innerHTML = "";
    $("orders-more").hidden = true;
  } finally { ordersView.loading = false; }
}

/** Filters changed: back to the newest page. */
function reloadOrders() { ordersView.cursors = [null]; loadOrders(); }

/** Opens the panel on the failed orders the card counts (one reason or all). */
function showFailed(reason) {
  for (const i of document.querySelectorAll("#status-chips input")) i.checked = i.value === "FAILED";
  if (reason && ![...$("f-reason").options].some((o) => o.value === reason)) $("f-reason").add(new Option(reason, reason));
  $("f-reason").value = reason || "";
  $("f-customer").value = "";
  $("f-range").value = $("failed-card").dataset.minutes || "60";
  reloadOrders();
  $("orders-panel").scrollIntoView({ behavior: "smooth" });
}

/** Failed orders by reason over the last hour, or the last 5 minutes when the hour holds too many orders to read. */
async function loadFailedCard() {
  for (const [minutes, label] of [[60, "last hour"], [5, "last 5 min"]]) {
    const since = new Date(Date.now() - minutes * 60000).toISOString();
    try {
      const page = await api(`/api/orders?status=FAILED&limit=1&since=${encodeURIComponent(since)}`);
      const reasons = Object.entries(page.by_reason).sort((a, b) => b[1] - a[1]);
      $("failed-window").textContent = label;
      $("failed-card").dataset.minutes = minutes;
      $("failed-reasons").className = reasons.length ? "reasons" : "mute";
      $("failed-reasons").innerHTML = reasons.length
        ? reasons.map(([r, n]) => `<button type="button" data-failed-reason="${esc(r)}"><b>${n}</b>${esc(r)}</button>`).join("")
        : `no order failed in the ${label}`;
      return;
    } catch (e) {
      if (minutes === 5 || !/ 422/.test(e.message)) { $("failed-reasons").innerHTML = `<span class="err">${esc(e.message)}</span>`; return; }
    }
  }
}

function initOrders() {
  $("status-chips").innerHTML = STATUSES.map((s) => `<label class="chip"><input type="checkbox" value="${s}">${badge(s, s)}</label>`).join("");
  $("order-filters").addEventListener("change", reloadOrders);
  $("order-filters").addEventListener("submit", (ev) => { ev.preventDefault(); reloadOrders(); });
  $("f-clear").addEventListener("click", () => { $("order-filters").reset(); reloadOrders(); });
  $("orders-more").addEventListener("click", (ev) => { ordersView.cursors.push(ev.target.dataset.cursor); loadOrders(); });
  $("failed-all").addEventListener("click", () => showFailed(""));
  $("failed-reasons").addEventListener("click", (ev) => {
    const button = ev.target.closest("[data-failed-reason]");
    if (button) showFailed(button.dataset.failedReason);
  });
  loadOrders();
  loadFailedCard();
  setInterval(() => { if ($("f-auto").checked && ordersView.cursors.length === 1) loadOrders(); }, 5000);
  setInterval(loadFailedCard, 10000);
}
