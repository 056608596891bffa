//! The operator dashboard in a real headless browser (Debian's Chromium,
//! driven by `browser::Browser`) against the service built in process with
//! `ADMIN_TOKEN` and `FAULT_INJECTION=true`: the supervision tree renders
//! the real actors, a restart caused by the test shows up live (no reload),
//! and the order page shows a real order's status history and events.
//!
//! The token is put in `localStorage` by an init script before the page's
//! own code runs, as an operator's earlier answer to the prompt would be.

use serde_json::{Value, json};

use crate::browser::Browser;
use crate::helpers::{TestApp, WAIT, order_body, spawn_app_with};
use support::nats::NatsServer;

const TOKEN: &str = "dashboard-test-token";
const POOL_SIZE: usize = 4;

async fn spawn_admin_app(nats: &NatsServer) -> TestApp {
    spawn_app_with(nats, |s| {
        s.admin.token = Some(order_service::config::Secret(TOKEN.into()));
        s.admin.fault_injection = true;
        s.pool.size = POOL_SIZE;
    })
    .await
}

/// A browser whose pages find the admin token in `localStorage`.
async fn browser_with_token() -> Browser {
    let mut browser = Browser::launch(1280, 800).await;
    browser.add_init_script(&format!("localStorage.setItem('orderServiceToken', {});", json!(TOKEN))).await;
    browser
}

async fn admin_post(app: &TestApp, path: &str) -> reqwest::Response {
    let url = format!("{}{path}", app.address);
    app.client.post(url).bearer_auth(TOKEN).send().await.expect("admin POST")
}

async fn admin_get(app: &TestApp, path: &str) -> Value {
    let url = format!("{}{path}", app.address);
    let response = app.client.get(url).bearer_auth(TOKEN).send().await.expect("admin GET");
    assert_eq!(response.status().as_u16(), 200, "GET {path}");
    response.json().await.expect("admin JSON")
}

/// `li[data-actor=name]`'s `data-restarts`, or null before it renders.
fn restarts_of(actor: &str) -> String {
    format!("(document.querySelector('li[data-actor=\"{actor}\"]')?.dataset.restarts ?? null)")
}

#[actix_web::test]
async fn dashboard_shows_the_supervision_tree_and_a_restart_caused_by_the_test_live() {
    let nats = NatsServer::start().await;
    let app = spawn_admin_app(&nats).await;
    app.stock("SKU-A", 50).await;
    for i in 0..3 {
        let order_id = app.place_order(&order_body(&format!("cust-{i}"), &[("SKU-A", 1, 1999)], "tok_visa")).await;
        app.wait_terminal(&order_id).await;
    }
    let mut browser = browser_with_token().await;

    browser.goto(&format!("{}/dashboard", app.address)).await;
    let before = browser.wait_for(&restarts_of("payment"), WAIT).await;
    assert_eq!(before, "0", "payment restarts before the crash");
    for actor in ["intake", "consumer", "dead-letters", "inventory", "payment"] {
        let found = browser.eval(&format!("!!document.querySelector('#tree li[data-actor=\"{actor}\"]')")).await;
        assert_eq!(found, true, "actor {actor} in the supervision tree");
    }
    let workers = browser.eval("[...document.querySelectorAll('#tree li')].filter(li => li.textContent.trim().startsWith('WorkerActor #')).length").await;
    assert_eq!(workers, json!(POOL_SIZE), "one tree entry per pool worker");
    let status = browser.eval("document.querySelector('li[data-actor=\"payment\"] .badge').textContent").await;
    assert_eq!(status, "running");
    assert_eq!(browser.eval(&displayed("order")).await, false, "the order panel is hidden on the overview");
    // Survives only if the page is never reloaded.
    browser.eval("window.sameDocument = true").await;

    let crash = admin_post(&app, "/api/actors/payment/crash").await;
    assert_eq!(crash.status().as_u16(), 202, "crash route");
    let crash: Value = crash.json().await.expect("crash JSON");
    assert_eq!(crash, json!({"actor": "payment", "crashed": true}));

    browser.wait_for(&format!("{} === '1'", restarts_of("payment")), WAIT).await;
    assert_eq!(browser.eval("window.sameDocument === true").await, true, "the page reloaded");
    let entry = browser.eval("document.querySelector('li[data-actor=\"payment\"]').innerHTML").await;
    assert!(entry.as_str().is_some_and(|e| e.contains("injected fault")), "last failure shown: {entry}");
    assert_eq!(browser.eval(&restarts_of("inventory")).await, "0", "only payment restarted");
    browser
        .wait_for("document.querySelector('li[data-actor=\"payment\"] .badge').textContent === 'running'", WAIT)
        .await;
    let live = browser.eval("document.getElementById('live').textContent").await;
    assert!(live.as_str().is_some_and(|l| l.starts_with("live")), "stream status: {live}");
}

#[actix_web::test]
async fn order_page_shows_the_status_history_and_events_of_a_real_order() {
    let nats = NatsServer::start().await;
    let app = spawn_admin_app(&nats).await;
    app.stock("SKU-A", 5).await;
    let order_id = app.place_order(&order_body("cust-7", &[("SKU-A", 2, 1250)], "tok_visa")).await;
    assert_eq!(app.wait_terminal(&order_id).await["status"], "COMPLETED");
    let timeline = admin_get(&app, &format!("/api/orders/{order_id}/timeline")).await;
    let mut browser = browser_with_token().await;

    browser.goto(&format!("{}/dashboard/orders/{order_id}", app.address)).await;
    browser.wait_for("document.getElementById('o-status')?.textContent === 'COMPLETED'", WAIT).await;

    let shown_id = browser.eval("document.getElementById('o-id').textContent").await;
    assert_eq!(shown_id, json!(order_id));
    let history = browser.eval(&column("o-history", 1)).await;
    assert_eq!(history, json!(["PENDING", "STOCK_RESERVED", "PAYMENT_CAPTURED", "COMPLETED"]), "status history");
    let events = browser.eval(&column("o-events", 0)).await;
    let sequences = browser.eval(&column("o-events", 1)).await;
    assert_eq!(events, json!(["created", "inventory_reserved", "payment_captured", "completed"]), "events");
    let stored: Vec<String> =
        timeline["events"].as_array().expect("timeline events").iter().map(|e| e["sequence"].to_string()).collect();
    assert_eq!(sequences, json!(stored), "stream sequences as the timeline API has them");
    let subjects = browser.eval(&column("o-events", 2)).await;
    assert_eq!(subjects[3], "ORDER.completed", "the stored event's subject");
    assert_eq!(browser.eval(&displayed("home")).await, false, "the overview is hidden on an order's page");
}

/// Whether element `id` takes part in the layout (the `hidden` attribute
/// alone does not hide an element whose CSS sets `display`).
fn displayed(id: &str) -> String {
    format!("getComputedStyle(document.getElementById('{id}')).display !== 'none'")
}

/// The text of cell `index` of every data row of table `id`.
fn column(id: &str, index: usize) -> String {
    format!("[...document.querySelectorAll('#{id} tr')].slice(1).map(r => r.cells[{index}].textContent.trim())")
}
