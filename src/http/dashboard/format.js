"use strict";
// Shared helpers: DOM access, escaping, badges, and number/time formatting
// rounded to what a reader needs (no "1.014037 ms").

const $ = (id) => document.getElementById(id);
const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

function badge(text, cls) { return `<span class="badge ${esc(cls)}">${esc(text)}</span>`; }
function bar(value, max) {
  const pct = max ? Math.min(100, (100 * value) / max) : 0;
  return `<span class="bar"><i style="width:${pct.toFixed(0)}%"></i></span>`;
}

/** Milliseconds with 3 significant figures at most: 0.42 ms, 1.01 ms, 12.3 ms, 154 ms, 2.31 s. */
function fmtMs(ms) {
  if (ms == null || Number.isNaN(ms)) return "–";
  if (Number.isInteger(ms) && Math.abs(ms) < 1000) return ms + " ms";
  const abs = Math.abs(ms);
  if (abs >= 60000) return (ms / 60000).toFixed(1) + " min";
  if (abs >= 1000) return (ms / 1000).toFixed(abs >= 10000 ? 1 : 2) + " s";
  if (abs >= 100) return ms.toFixed(0) + " ms";
  if (abs >= 10) return ms.toFixed(1) + " ms";
  return ms.toFixed(2) + " ms";
}

/** A count or rate: integers as is, otherwise one decimal. */
function fmtNum(v) {
  if (v == null || Number.isNaN(v)) return "–";
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

/** RFC 3339 → milliseconds since the epoch, keeping sub-millisecond digits. */
function parseTime(text) {
  const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(text || "");
  if (!m) return NaN;
  return Date.parse(m[1] + m[3]) + (m[2] ? parseFloat("0" + m[2]) * 1000 : 0);
}

/** "+1.40 ms" relative to a start, in milliseconds. */
function fmtRel(ms) { return (ms >= 0 ? "+" : "−") + fmtMs(Math.abs(ms)); }

/** Absolute local time for hover text. */
function fmtAbs(text) {
  const t = parseTime(text);
  return Number.isNaN(t) ? String(text ?? "") : new Date(t).toISOString().replace("T", " ").replace("Z", " UTC") + ` (${text})`;
}

/** "3 min ago" for a time in the past. */
function fmtAgo(text) {
  const s = (Date.now() - parseTime(text)) / 1000;
  if (Number.isNaN(s)) return "–";
  if (s < 60) return Math.max(0, Math.round(s)) + " s ago";
  if (s < 3600) return Math.round(s / 60) + " min ago";
  return (s / 3600).toFixed(1) + " h ago";
}

/** Integer minor units shown in major units of the currency. */
function fmtMoney(minor, currency) {
  try {
    const f = new Intl.NumberFormat("en", { style: "currency", currency });
    return f.format(minor / 10 ** f.resolvedOptions().maximumFractionDigits);
  } catch (e) { return `${minor} ${currency} (minor units)`; }
}

/** Shows `text` in the floating tooltip near the pointer, or hides it. */
function tooltip(ev, text) {
  const tip = $("tooltip");
  if (!text) { tip.hidden = true; return; }
  tip.textContent = text;
  tip.hidden = false;
  tip.style.left = Math.min(ev.clientX + 12, window.innerWidth - tip.offsetWidth - 8) + "px";
  tip.style.top = ev.clientY + 12 + "px";
}
