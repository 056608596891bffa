//! The operator console in headless Chromium against the service built in
//! process (`ADMIN_TOKEN`, `FAULT_INJECTION=true`) and real NATS: the
//! orders list filters down to failed orders and opens one; the charts
//! draw axes with units, legends and hover values; crashing an actor past
//! its restart intensity shows it escalated with a countdown, the consumer
//! paused and `/ready` failing, then the recovery; the order page shows
//! step durations, relative times and payment attempts; with the real
//! binary and neither exporter nor token, the order page links its trace,
//! the log lines carry the same trace id, and a banner says that admin
//! routes answer loopback clients only.
//!
//! `UPDATE_SCREENSHOT=1` (`make screenshots`) rewrites the PNGs in `docs/`
//! that the README shows.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::browser::Browser;
use crate::helpers::{TestApp, WAIT, order_body, spawn_app_with};
use support::nats::NatsServer;

const TOKEN: &str = "console-test-token";
/// What the README may carry without bloating the repository.
const MAX_SCREENSHOT_BYTES: usize = 400 * 1024;
/// Escalation cool-down (30 s) plus the time to see the recovery.
const RECOVERY: Duration = Duration::from_secs(45);

async fn spawn_admin_app(nats: &NatsServer) -> TestApp {
    spawn_app_with(nats, |s| {
        s.admin.token = Some(order_service::config::Secret(TOKEN.into()));
        s.admin.fault_injection = true;
        s.pool.size = 2;
    })
    .await
}

async fn browser(height: u32) -> Browser {
    let mut browser = Browser::launch(1280, height).await;
    browser.add_init_script(&format!("localStorage.setItem('orderServiceToken', {});", json!(TOKEN))).await;
    browser
}

/// Places `(customer, sku, token)` orders one after another, each to its end.
async fn place_all(app: &TestApp, orders: &[(&str, &str, &str)]) -> Vec<String> {
    let mut ids = Vec::new();
    for (customer, sku, token) in orders {
        let id = app.place_order(&order_body(customer, &[(sku, 2, 1250)], token)).await;
        app.wait_terminal(&id).await;
        ids.push(id);
    }
    ids
}

/// Writes `png` to `docs/<name>` when `UPDATE_SCREENSHOT=1`, after checking
/// it is a PNG small enough for the repository.
fn screenshot(name: &str, png: &[u8]) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "screenshot is not a PNG");
    assert!(png.len() < MAX_SCREENSHOT_BYTES, "screenshot {name} is {} bytes", png.len());
    if std::env::var("UPDATE_SCREENSHOT").is_ok_and(|v| v == "1") {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs").join(name);
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
}

const ROWS: &str = "[...document.querySelectorAll('#orders-table tbody tr[data-order]')]";

fn rows_where(condition: &str) -> String {
    format!("{ROWS}.length > 0 && {ROWS}.every(r => {condition})")
}

#[actix_web::test]
async fn the_orders_list_filters_down_to_failed_orders_and_opens_one() {
    let nats = NatsServer::start().await;
    let app = spawn_admin_app(&nats).await;
    app.stock("SKU-A", 20).await;
    app.stock("SKU-NONE", 0).await;
    let ids = place_all(
        &app,
        &[("c-1", "SKU-A", "tok_visa"), ("c-42", "SKU-NONE", "tok_visa"), ("c-42", "SKU-A", "tok_decline")],
    )
    .await;
    place_all(&app, &[("c-2", "SKU-A", "tok_visa"); 3]).await;
    let mut browser = browser(1500).await;

    browser.goto(&format!("{}/dashboard", app.address)).await;
    browser.wait_for(&format!("{ROWS}.length === 6"), WAIT).await;
    let reasons = "[...document.querySelectorAll('#failed-reasons [data-failed-reason]')].map(b => b.textContent)";
    let shown = browser.wait_for(&format!("{reasons}.length === 2 && {reasons}"), WAIT).await;
    assert_eq!(shown, json!(["1OUT_OF_STOCK", "1PAYMENT_DECLINED"]), "failed in the last hour, by reason");
    browser.wait_for("document.querySelector('#tree li[data-actor]') !== null", WAIT).await;
    assert_eq!(browser.eval("document.getElementById('admin-banner').hidden").await, true, "a token is set");
    screenshot("dashboard.png", &browser.screenshot().await);

    browser.eval("document.querySelector('[data-failed-reason=\"PAYMENT_DECLINED\"]').click()").await;
    browser
        .wait_for(
            &format!("{ROWS}.length === 1 && {}", rows_where("r.cells[3].textContent === 'PAYMENT_DECLINED'")),
            WAIT,
        )
        .await;
    assert_eq!(browser.eval(&format!("{ROWS}[0].dataset.order")).await, json!(ids[2]));
    browser.eval("document.getElementById('failed-all').click()").await;
    browser
        .wait_for(&format!("{ROWS}.length === 2 && {}", rows_where("r.cells[2].textContent === 'FAILED'")), WAIT)
        .await;
    let chips = "[...document.querySelectorAll('#status-chips input:checked')].map(i => i.value)";
    assert_eq!(browser.eval(chips).await, json!(["FAILED"]), "the FAILED chip is the filter");

    browser.eval(&format!("{ROWS}[0].querySelector('a').click()")).await;
    browser.wait_for("document.getElementById('o-status')?.textContent === 'FAILED'", WAIT).await;
    assert_eq!(browser.eval("document.getElementById('o-id').textContent").await, json!(ids[2]), "newest failed order");
}

/// Every `text` element of chart `id`.
fn chart_texts(id: &str) -> String {
    format!("[...document.querySelectorAll('#{id} text')].map(t => t.textContent)")
}

#[actix_web::test]
async fn the_charts_render_axes_with_units_legends_and_rounded_hover_values() {
    let nats = NatsServer::start().await;
    let app = spawn_admin_app(&nats).await;
    app.stock("SKU-A", 20).await;
    place_all(&app, &[("c", "SKU-A", "tok_visa"); 3]).await;
    let mut browser = browser(1000).await;

    browser.goto(&format!("{}/dashboard", app.address)).await;
    browser.wait_for("document.querySelectorAll('#chart-lat polyline, #chart-lat circle').length >= 2", WAIT).await;
    let expected: [(&str, &[&str], &str); 3] = [
        ("chart-tput", &["accepted", "completed", "failed"], "/s"),
        ("chart-lat", &["p50", "p99"], " ms"),
        ("chart-backlog", &["in flight (this instance)", "consumer pending"], ""),
    ];
    for (id, legend, unit) in expected {
        let texts: Vec<String> = serde_json::from_value(browser.eval(&chart_texts(id)).await).expect("texts");
        for name in legend.iter().chain(&["now", "−5 min"]) {
            assert!(texts.iter().any(|t| t == name), "{id} shows {name:?}: {texts:?}");
        }
        let ticks: Vec<&String> = texts.iter().filter(|t| t.starts_with(|c: char| c.is_ascii_digit())).collect();
        assert_eq!(ticks.len(), 5, "{id} has a y axis of 5 ticks: {texts:?}");
        assert!(ticks.iter().all(|t| t.ends_with(unit)), "{id} ticks carry the unit {unit:?}: {ticks:?}");
    }
    let hover = "(() => { const svg = document.getElementById('chart-lat'); const r = svg.getBoundingClientRect();
        svg.dispatchEvent(new MouseEvent('mousemove', {clientX: r.right - 4, clientY: r.top + 40, bubbles: true}));
        return document.getElementById('tooltip').hidden ? null : document.getElementById('tooltip').textContent; })()";
    let tip = browser.wait_for(hover, WAIT).await;
    let tip = tip.as_str().expect("tooltip text");
    assert!(tip.contains("p50: ") && tip.contains("p99: "), "hover names each line: {tip}");
    let too_precise = regex_like_more_than_two_decimals(tip);
    assert!(!too_precise, "hover values are rounded: {tip}");
}

/// Whether `text` holds a number with more than two decimals.
fn regex_like_more_than_two_decimals(text: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter_map(|n| n.split_once('.'))
        .any(|(_, decimals)| decimals.len() > 2)
}

async fn crash(app: &TestApp, actor: &str) -> Value {
    let url = format!("{}/api/actors/{actor}/crash", app.address);
    let response = app.client.post(url).bearer_auth(TOKEN).json(&json!({})).send().await.expect("crash POST");
    assert_eq!(response.status().as_u16(), 202, "crash route");
    response.json().await.expect("crash JSON")
}

#[actix_web::test]
async fn an_escalated_actor_shows_red_with_a_countdown_the_consumer_paused_and_then_the_recovery() {
    let nats = NatsServer::start().await;
    let app = spawn_admin_app(&nats).await;
    let mut browser = browser(900).await;
    browser.goto(&format!("{}/dashboard", app.address)).await;
    browser.wait_for("document.querySelector('li[data-actor=\"payment\"]') !== null", WAIT).await;

    for _ in 0..6 {
        assert_eq!(crash(&app, "payment").await["crashed"], true);
    }
    let payment = "document.querySelector('li[data-actor=\"payment\"]')";
    browser.wait_for(&format!("{payment}.dataset.status === 'escalated'"), WAIT).await;
    assert_eq!(browser.eval(&format!("{payment}.classList.contains('escalated-actor')")).await, true, "red entry");
    let left = browser.eval(&format!("{payment}.querySelector('.countdown').textContent")).await;
    let secs: u64 = left.as_str().and_then(|t| t.strip_suffix(" s")).and_then(|n| n.parse().ok()).expect("countdown");
    assert!((1..=30).contains(&secs), "cool-down countdown {left}");
    browser.wait_for("document.querySelector('li[data-actor=\"consumer\"]').dataset.paused === 'true'", WAIT).await;
    // The three states arrive from separate polls: wait until the alert
    // shows all of them (each is asserted below by name).
    let needles = ["payment escalated", "consumer is paused", "/ready is failing"];
    let all_shown = needles.map(|n| format!("document.getElementById('alert').textContent.includes('{n}')"));
    let alert = browser
        .wait_for(
            &format!(
                "!document.getElementById('alert').hidden && {} && document.getElementById('alert').textContent",
                all_shown.join(" && ")
            ),
            WAIT,
        )
        .await;
    let alert = alert.as_str().unwrap_or_default();
    for needle in needles {
        assert!(alert.contains(needle), "alert says {needle:?}: {alert}");
    }
    assert_eq!(browser.eval("document.getElementById('ready').textContent.startsWith('not ready')").await, true);
    screenshot("dashboard-escalated.png", &browser.screenshot().await);

    browser.wait_for(&format!("{payment}.dataset.status === 'running'"), RECOVERY).await;
    browser.wait_for("document.querySelector('li[data-actor=\"consumer\"]').dataset.paused === 'false'", WAIT).await;
    browser.wait_for("document.getElementById('alert').hidden", WAIT).await;
    assert_eq!(browser.eval("document.getElementById('ready').textContent").await, "ready");
}

#[actix_web::test]
async fn the_order_page_shows_step_durations_relative_times_and_payment_attempts() {
    let nats = NatsServer::start().await;
    let app = spawn_admin_app(&nats).await;
    app.stock("SKU-A", 5).await;
    let id = place_all(&app, &[("cust-7", "SKU-A", "tok_visa")]).await.remove(0);
    let mut browser = browser(900).await;

    browser.goto(&format!("{}/dashboard/orders/{id}", app.address)).await;
    browser.wait_for("document.getElementById('o-status')?.textContent === 'COMPLETED'", WAIT).await;
    let column = |i: usize| {
        format!("[...document.querySelectorAll('#o-history tr')].slice(1).map(r => r.cells[{i}].textContent.trim())")
    };
    let at: Vec<String> = serde_json::from_value(browser.eval(&column(0)).await).expect("times");
    assert_eq!(at[0], "+0 ms", "times are relative to creation");
    assert!(at[1..].iter().all(|t| t.starts_with('+') && (t.ends_with(" ms") || t.ends_with(" s"))), "{at:?}");
    let took: Vec<String> = serde_json::from_value(browser.eval(&column(2)).await).expect("durations");
    assert_eq!(took.len(), 4, "created → reserved → captured → completed: {took:?}");
    assert!(took[..3].iter().all(|t| t.ends_with(" ms") || t.ends_with(" s")), "each step's duration: {took:?}");
    assert_eq!(took[3], "end");
    let bars = browser.eval("document.querySelectorAll('#o-history .waterfall > i').length").await;
    assert_eq!(bars, 4, "one waterfall bar per step");
    let hover = browser.eval("document.querySelector('#o-history tr:nth-child(2) td').title").await;
    assert!(hover.as_str().is_some_and(|t| t.contains("UTC")), "absolute time on hover: {hover}");
    let attempts =
        browser.eval("[...document.querySelectorAll('#o-payment tr')].slice(1).map(r => r.cells[1].textContent)").await;
    assert_eq!(attempts, json!(["captured"]), "one attempt, captured");
}

#[actix_web::test]
async fn with_no_exporter_or_token_the_order_page_links_its_trace_logs_carry_it_and_a_banner_warns() {
    let nats = NatsServer::start().await;
    let env = [("NATS_URL", nats.url()), ("JAEGER_UI_URL", "http://jaeger.test:16686"), ("LOG_FORMAT", "json")];
    let service = crate::helpers::start_service(&env).await;
    let api = crate::helpers::ApiClient::new(service.address.clone(), nats.url());
    api.stock("SKU-A", 5).await;
    let id = api.place_order(&order_body("cust-9", &[("SKU-A", 1, 700)], "tok_visa")).await;
    api.wait_terminal(&id).await;
    let timeline: Value = api
        .admin(reqwest::Method::GET, &format!("/api/orders/{id}/timeline"))
        .send()
        .await
        .expect("timeline")
        .json()
        .await
        .expect("timeline JSON");
    let trace_id = timeline["order"]["trace_id"].as_str().expect("a trace id without any exporter").to_string();
    assert!(trace_id.len() == 32 && trace_id.bytes().all(|b| b.is_ascii_hexdigit()), "{trace_id}");
    let logs = service.logs();
    let finished = logs.lines().find(|l| l.contains("order finished")).expect("an 'order finished' log line");
    assert!(finished.contains(&format!(r#""trace_id":"{trace_id}""#)), "the log line carries the trace id: {finished}");
    assert!(!logs.contains(r#""trace_id":"""#), "no empty trace id in the logs:\n{logs}");

    let mut browser = Browser::launch(1280, 900).await;
    browser.goto(&format!("{}/dashboard/orders/{id}", service.address)).await;
    let href = browser.wait_for("document.getElementById('o-trace')?.href", WAIT).await;
    assert_eq!(href, json!(format!("http://jaeger.test:16686/trace/{trace_id}")));
    let banner =
        "!document.getElementById('admin-banner').hidden && document.getElementById('admin-banner').textContent";
    let banner = browser.wait_for(banner, WAIT).await;
    assert!(banner.as_str().is_some_and(|b| b.contains("No ADMIN_TOKEN") && b.contains("loopback")), "{banner}");
    screenshot("order-page.png", &browser.screenshot().await);
}
