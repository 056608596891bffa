"use strict";
// The supervision tree: system actors, supervised children (an escalated
// one in red with the seconds left of its cool-down), the saga consumer
// (pulling or paused), the worker pool, and "crash" buttons when the
// service runs with FAULT_INJECTION=true.

function countdown(resumesAt) {
  const left = Math.max(0, Math.ceil((parseTime(resumesAt) - Date.now()) / 1000));
  return Number.isNaN(left) ? "" : `<span class="countdown" data-resumes-at="${esc(resumesAt)}">${left} s</span>`;
}

function systemActor(c, consumer) {
  const paused = c.name === "consumer" && consumer && consumer.paused;
  const state = paused ? badge("paused", "paused") + ' <span class="err">not pulling orders</span>' : badge(c.status, c.status);
  return `<li data-actor="${esc(c.name)}" data-paused="${paused ? "true" : "false"}">${state} ${esc(c.kind)} <span class="mute">${esc(c.name)}</span></li>`;
}

function supervisedActor(c, faults) {
  const escalated = c.status === "escalated";
  const wait = c.resumes_at ? (escalated ? ` cool-down ends in ${countdown(c.resumes_at)}` : ` back in ${countdown(c.resumes_at)}`) : "";
  const crash = faults ? ` <button data-crash="${esc(c.name)}" title="fault injection: panic this actor">crash</button>` : "";
  return `<li data-actor="${esc(c.name)}" data-restarts="${c.restarts}" data-status="${esc(c.status)}" class="${escalated ? "escalated-actor" : ""}">
    ${badge(c.status, c.status)} Supervisor → ${esc(c.name)}${wait}
    <span class="mute">restarts</span> <b class="restarts">${c.restarts}</b> <span class="mute">escalations</span> ${c.escalations}${crash}
    ${c.last_failure ? `<div class="err">last failure <span title="${esc(fmtAbs(c.last_failure_at))}">${esc(fmtAgo(c.last_failure_at))}</span>: ${esc(c.last_failure)}</div>` : ""}</li>`;
}

function renderTree(a, overview) {
  const consumer = overview && overview.consumer && !overview.consumer.error ? overview.consumer : null;
  const sys = a.system.map((c) => systemActor(c, consumer)).join("");
  const sup = a.supervised.map((c) => supervisedActor(c, a.fault_injection)).join("");
  const p = a.pool;
  const workers = p.workers.map((w) => `<li>WorkerActor #${w.worker} mailbox ${bar(w.mailbox_depth, w.mailbox_bound)} ${w.mailbox_depth}/${w.mailbox_bound} · in flight ${w.in_flight}</li>`).join("");
  $("tree").className = "";
  $("tree").innerHTML = `<ul class="tree"><li><b>${esc(a.root)}</b><ul class="tree">${sys}${sup}
    <li>Worker pool (${p.size}) utilisation ${bar(p.in_flight, p.capacity)} ${p.utilisation_percent}% · queued ${p.queued}<ul class="tree">${workers}</ul></li>
    <li>OrderActors running: <b id="order-actors">${a.order_actors}</b></li></ul></li></ul>`;
}

/** What must not be missed: escalations, a paused consumer, not ready. */
function renderAlert(a, o) {
  const lines = [];
  for (const c of a.supervised.filter((c) => c.status === "escalated")) {
    lines.push(`${esc(c.name)} escalated (more than 5 restarts in 30 s): cool-down ends in ${countdown(c.resumes_at)}`);
  }
  if (o.consumer && o.consumer.paused) lines.push("the saga consumer is paused: no order makes progress on this instance");
  if (!o.ready) lines.push(`/ready is failing (${esc(o.failing.join(", "))}): load balancers send no traffic here`);
  $("alert").hidden = !lines.length;
  $("alert").innerHTML = lines.map((l) => `<div>${l}</div>`).join("");
}

/** Counts the cool-downs down between snapshots. */
setInterval(() => {
  for (const el of document.querySelectorAll(".countdown[data-resumes-at]")) {
    el.textContent = Math.max(0, Math.ceil((parseTime(el.dataset.resumesAt) - Date.now()) / 1000)) + " s";
  }
}, 250);

document.addEventListener("click", async (ev) => {
  const name = ev.target?.dataset?.crash;
  if (!name || !confirm(`Panic the ${name} actor (fault injection)?`)) return;
  try { await api(`/api/actors/${encodeURIComponent(name)}/crash`, { method: "POST" }); } catch (e) { alert(e.message); }
});
