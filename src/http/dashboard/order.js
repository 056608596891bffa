"use strict";
// The order page (/dashboard/orders/{id}): status history as a waterfall
// with each step's duration and times relative to creation (absolute time
// on hover), the stored events, payment attempts with their outcome, and
// the trace in Jaeger.

function historyRows(history) {
  const t0 = parseTime(history[0]?.at);
  const end = parseTime(history[history.length - 1]?.at);
  const total = Math.max(end - t0, 1e-6);
  return history.map((h, i) => {
    const at = parseTime(h.at);
    const next = i + 1 < history.length ? parseTime(history[i + 1].at) : null;
    const took = next == null ? null : next - at;
    const left = (100 * (at - t0)) / total;
    const width = took == null ? 0 : (100 * took) / total;
    return `<tr><td title="${esc(fmtAbs(h.at))}">${esc(fmtRel(at - t0))}</td><td>${badge(h.status, h.status)}</td>
      <td class="num">${took == null ? (i ? "end" : "–") : esc(fmtMs(took))}</td>
      <td><div class="waterfall"><i style="left:${left.toFixed(2)}%;width:${width.toFixed(2)}%"></i></div></td>
      <td>${esc(h.detail || "")}</td></tr>`;
  }).join("");
}

function eventRows(events, created) {
  const t0 = parseTime(created);
  return events.map((e) => `<tr><td>${esc(e.event)}</td><td>${e.sequence}</td><td>${esc(e.subject || "")}</td>
    <td title="${esc(fmtAbs(e.published_at))}">${e.published_at ? esc(fmtRel(parseTime(e.published_at) - t0)) : "–"}</td></tr>`).join("");
}

/** One row per provider call under the order's claim: every attempt
 *  before the last ended without a definite answer and was retried with
 *  the same idempotency key; the last one has the recorded state. */
function paymentRows(p) {
  const outcome = { CAPTURED: "captured", DECLINED: "declined", UNKNOWN: "no definite answer (will retry)", CLAIMED: "in progress" };
  const rows = [];
  for (let i = 1; i <= p.attempts; i++) {
    const last = i === p.attempts;
    const text = last ? outcome[p.state] || p.state : "no definite answer; retried with the same key";
    const detail = last ? [p.charge_id && `charge ${p.charge_id}`, p.reason].filter(Boolean).join(" · ") : "";
    rows.push(`<tr><td>#${i}</td><td>${last ? badge(text, p.state === "CAPTURED" ? "COMPLETED" : p.state === "DECLINED" ? "FAILED" : "PENDING") : esc(text)}</td>
      <td>${esc(detail)}</td><td title="${esc(fmtAbs(p.updated_at))}">${last ? esc(fmtAgo(p.updated_at)) : ""}</td></tr>`);
  }
  return rows.join("");
}

function traceLink(t) {
  if (t.trace_url) return `<a id="o-trace" href="${esc(t.trace_url)}" target="_blank" rel="noopener">trace ${esc(t.order.trace_id)} in Jaeger</a>`;
  return `<span class="mute">no trace id</span>`;
}

async function orderPage(id) {
  $("home").hidden = true; $("order").hidden = false; $("o-id").textContent = id;
  try {
    const t = await api(`/api/orders/${encodeURIComponent(id)}/timeline`);
    const o = t.order, p = t.payment;
    const spent = parseTime(o.status === "COMPLETED" || o.status === "FAILED" ? o.updated_at : new Date().toISOString()) - parseTime(o.created_at);
    $("o-body").innerHTML = `<p>status <b id="o-status">${esc(o.status)}</b> ${o.failure_reason ? `<span class="err">${esc(o.failure_reason)}</span>` : ""}
      · customer ${esc(o.customer_id)} · total ${esc(fmtMoney(o.total_minor, o.currency))}
      · created <span title="${esc(fmtAbs(o.created_at))}">${esc(fmtAgo(o.created_at))}</span> · time spent ${esc(fmtMs(spent))}
      · saga deliveries ${o.deliveries} · ${traceLink(t)}</p>
      <h2>Status history</h2><table id="o-history"><tr><th>at</th><th>status</th><th class="num">took</th><th>waterfall</th><th>detail</th></tr>${historyRows(o.history)}</table>
      <h2>Events</h2><table id="o-events"><tr><th>event</th><th>stream seq</th><th>subject</th><th>published</th></tr>${eventRows(t.events, o.created_at)}</table>
      <h2>Payment attempts</h2>${p ? `<table id="o-payment"><tr><th>attempt</th><th>outcome</th><th>detail</th><th>at</th></tr>${paymentRows(p)}</table>` : "<p class=mute>no payment attempt</p>"}`;
  } catch (e) { $("o-body").innerHTML = `<span class="err">${esc(e.message)}</span>`; }
}
