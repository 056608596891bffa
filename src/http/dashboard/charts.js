"use strict";
// Line charts over the last 5 minutes: a y axis with its unit, a time axis
// (minutes before now), a legend naming each line, and the values of the
// second under the pointer on hover.

const W = 420, H = 190, L = 50, R = 12, T = 24, B = 26;

/** A round upper bound for the y axis, at least 4, whose quarters read well (4, 8, 10, 20, 40 …). */
function niceMax(v) {
  if (!(v > 4)) return 4;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 4, 8, 10].map((m) => m * p).find((m) => m >= v);
}

function yAxis(max, fmt) {
  let out = "";
  for (let i = 0; i <= 4; i++) {
    const y = T + ((H - T - B) * i) / 4;
    out += `<line class="grid" x1="${L}" x2="${W - R}" y1="${y}" y2="${y}"/>`;
    out += `<text x="${L - 4}" y="${y + 4}" text-anchor="end">${esc(fmt((max * (4 - i)) / 4))}</text>`;
  }
  return out + `<line class="axis" x1="${L}" x2="${L}" y1="${T}" y2="${H - B}"/>`;
}

function xAxis(n) {
  let out = `<line class="axis" x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}"/>`;
  for (let min = 5; min >= 0; min--) {
    const x = L + ((W - L - R) * (300 - min * 60)) / 300;
    out += `<text x="${x}" y="${H - B + 14}" text-anchor="middle">${min ? `−${min} min` : "now"}</text>`;
  }
  return out + (n ? "" : `<text x="${(W + L) / 2}" y="${H / 2}" text-anchor="middle">no data yet</text>`);
}

/** x of sample i among n, the last one at "now" and one second apart. */
const xOf = (i, n) => L + ((W - L - R) * (300 - (n - 1 - i))) / 300;

function line(values, max, color) {
  const pts = [];
  let path = "";
  values.forEach((v, i) => {
    if (v == null) { if (pts.length) { path += polyline(pts, color); pts.length = 0; } return; }
    pts.push(`${xOf(i, values.length).toFixed(1)},${(H - B - ((H - T - B) * v) / max).toFixed(1)}`);
  });
  return path + polyline(pts, color);
}

function polyline(pts, color) {
  if (pts.length === 1) {
    const [x, y] = pts[0].split(",");
    return `<circle cx="${x}" cy="${y}" r="2" fill="${color}"/>`;
  }
  return pts.length ? `<polyline fill="none" stroke="${color}" stroke-width="1.6" points="${pts.join(" ")}"/>` : "";
}

function legend(series) {
  let x = L;
  return series.map((s) => {
    const item = `<g class="legend-item"><rect x="${x}" y="6" width="12" height="4" fill="${s.color}"/><text x="${x + 16}" y="12">${esc(s.name)}</text></g>`;
    x += 24 + s.name.length * 6.5;
    return item;
  }).join("");
}

/**
 * Draws `series` ([{name, color, values}]) of `samples` into `svg`;
 * `unit` labels the axis ticks, `fmt` formats a hovered value.
 */
function drawChart(svg, samples, series, unit, fmt) {
  const n = samples.length;
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values.filter((v) => v != null))));
  svg.innerHTML = yAxis(max, (v) => fmtNum(v) + unit) + xAxis(n) + series.map((s) => line(s.values, max, s.color)).join("") + legend(series)
    + `<line class="cursor" y1="${T}" y2="${H - B}" x1="-10" x2="-10"/>`;
  svg.onmousemove = (ev) => {
    const box = svg.getBoundingClientRect();
    const x = ((ev.clientX - box.left) / box.width) * W;
    const i = Math.min(n - 1, Math.round(n - 1 - (300 * (W - R - x)) / (W - L - R)));
    if (i < 0 || i >= n) { tooltip(ev, ""); return; }
    svg.querySelector(".cursor").setAttribute("x1", xOf(i, n));
    svg.querySelector(".cursor").setAttribute("x2", xOf(i, n));
    const at = new Date(samples[i].t * 1000).toLocaleTimeString();
    tooltip(ev, [at, ...series.map((s) => `${s.name}: ${fmt(s.values[i])}`)].join("\n"));
  };
  svg.onmouseleave = (ev) => tooltip(ev, "");
}

function renderCharts(samples) {
  const pick = (k) => samples.map((s) => s[k]);
  const perSec = (v) => (v == null ? "–" : fmtNum(v) + "/s");
  drawChart($("chart-tput"), samples, [
    { name: "accepted", color: "#0969da", values: pick("accepted") },
    { name: "completed", color: "#1a7f37", values: pick("completed") },
    { name: "failed", color: "#cf222e", values: pick("failed") },
  ], "/s", perSec);
  drawChart($("chart-lat"), samples, [
    { name: "p50", color: "#8250df", values: pick("p50_ms") },
    { name: "p99", color: "#bf3989", values: pick("p99_ms") },
  ], " ms", fmtMs);
  drawChart($("chart-backlog"), samples, [
    { name: "in flight (this instance)", color: "#0969da", values: pick("in_flight") },
    { name: "consumer pending", color: "#9a6700", values: pick("consumer_pending") },
  ], "", fmtNum);
}
