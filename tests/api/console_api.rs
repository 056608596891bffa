//! `GET /api/orders` and `/api/stream` against a real service and NATS:
//! the list filters by status, reason and customer, pages newest first
//! with a cursor, counts failures by reason, refuses an over-wide window
//! with 422 and needs the admin token; the stream caps its clients; the
//! dashboard is served with a CSP that allows no inline script.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error_shape, order_body, spawn_app_with};
use support::nats::NatsServer;

const TOKEN: &str = "order-list-token";

async fn spawn_admin_app(nats: &NatsServer, tweak: impl FnOnce(&mut order_service::config::Settings)) -> TestApp {
    spawn_app_with(nats, |s| {
        s.admin.token = Some(order_service::config::Secret(TOKEN.into()));
        tweak(s);
    })
    .await
}

async fn list(app: &TestApp, query: &str) -> (u16, Value) {
    let url = format!("{}/api/orders?{query}", app.address);
    let response = app.client.get(url).bearer_auth(TOKEN).send().await.expect("GET /api/orders");
    (response.status().as_u16(), response.json().await.expect("JSON body"))
}

fn ids(body: &Value) -> Vec<String> {
    body["orders"].as_array().expect("orders").iter().map(|o| o["order_id"].as_str().expect("id").into()).collect()
}

/// Places orders one after another (so creation order is known), each to
/// its terminal status; returns their ids oldest first.
async fn place_all(app: &TestApp, orders: &[(&str, &str, &str)]) -> Vec<String> {
    let mut placed = Vec::new();
    for (customer, sku, token) in orders {
        let id = app.place_order(&order_body(customer, &[(sku, 1, 500)], token)).await;
        app.wait_terminal(&id).await;
        placed.push(id);
    }
    placed
}

#[actix_web::test]
async fn the_order_list_filters_failed_orders_by_reason_and_customer_newest_first() {
    let nats = NatsServer::start().await;
    let app = spawn_admin_app(&nats, |_| {}).await;
    app.stock("SKU-A", 10).await;
    app.stock("SKU-NONE", 0).await;
    let placed = place_all(
        &app,
        &[
            ("c-42", "SKU-A", "tok_visa"),
            ("c-42", "SKU-NONE", "tok_visa"),
            ("c-7", "SKU-A", "tok_decline"),
            ("c-42", "SKU-A", "tok_decline"),
        ],
    )
    .await;

    let (status, all) = list(&app, "").await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(ids(&all), placed.iter().rev().cloned().collect::<Vec<_>>(), "newest first");
    let row = &all["orders"][0];
    for field in ["customer_id", "status", "failure_reason", "total_minor", "created_at", "updated_at"] {
        assert!(row.get(field).is_some(), "row has {field}: {row}");
    }
    assert!(row["elapsed_ms"].as_i64().is_some_and(|ms| ms >= 0), "time spent: {row}");
    assert!(row["deliveries"].as_i64().is_some_and(|d| d >= 1), "deliveries: {row}");

    let (_, failed) = list(&app, "status=FAILED").await;
    assert_eq!(ids(&failed), vec![placed[3].clone(), placed[2].clone(), placed[1].clone()]);
    assert_eq!(failed["by_reason"], json!({"OUT_OF_STOCK": 1, "PAYMENT_DECLINED": 2}));
    let (_, declined_c42) = list(&app, "status=FAILED&reason=PAYMENT_DECLINED&customer_id=c-42").await;
    assert_eq!(ids(&declined_c42), vec![placed[3].clone()]);
    let (_, done) = list(&app, "status=COMPLETED,PENDING").await;
    assert_eq!(ids(&done), vec![placed[0].clone()]);
}

#[actix_web::test]
async fn pages_follow_the_cursor_until_the_last_page_has_none() {
    let nats = NatsServer::start().await;
    let app = spawn_admin_app(&nats, |_| {}).await;
    app.stock("SKU-A", 10).await;
    let placed = place_all(&app, &[("c", "SKU-A", "tok_visa"); 5]).await;

    let mut seen = Vec::new();
    let mut query = "limit=2".to_string();
    loop {
        let (status, page) = list(&app, &query).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(ids(&page));
        let Some(cursor) = page["next_cursor"].as_str() else { break };
        query = format!("limit=2&cursor={cursor}");
    }
    assert_eq!(seen, placed.iter().rev().cloned().collect::<Vec<_>>(), "every order once, newest first");
}

#[actix_web::test]
async fn an_over_wide_window_answers_422_and_bad_parameters_400_and_no_token_401() {
    let nats = NatsServer::start().await;
    let app = spawn_admin_app(&nats, |s| s.admin.order_query_max_records = 2).await;
    app.stock("SKU-A", 10).await;
    place_all(&app, &[("c", "SKU-A", "tok_visa"); 3]).await;

    let (status, body) = list(&app, "").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(assert_error_shape(&body), "window_too_wide");
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("narrow the window")), "{body}");
    let (status, body) = list(&app, "status=LOST").await;
    assert_eq!((status, assert_error_shape(&body)), (400, "bad_request".to_string()));
    let anonymous = app.client.get(format!("{}/api/orders", app.address)).send().await.expect("GET");
    assert_eq!(anonymous.status().as_u16(), 401);
}

#[actix_web::test]
async fn dashboard_streams_past_the_cap_answer_503_with_retry_after() {
    let nats = NatsServer::start().await;
    let app = spawn_admin_app(&nats, |s| s.admin.dashboard_stream_clients = 2).await;
    let open = || app.client.get(format!("{}/api/stream", app.address)).bearer_auth(TOKEN).send();
    let mut first = open().await.expect("first stream");
    let _second = open().await.expect("second stream");
    assert_eq!(first.status().as_u16(), 200);
    let frame = first.chunk().await.expect("a frame").expect("stream open");
    assert!(frame.starts_with(b"event: snapshot\ndata: {"), "{}", String::from_utf8_lossy(&frame));

    let third = open().await.expect("third stream");
    assert_eq!(third.status().as_u16(), 503);
    assert!(third.headers().contains_key("retry-after"));
    let body: Value = third.json().await.expect("JSON error");
    assert_eq!(assert_error_shape(&body), "unavailable");

    drop(first);
    crate::helpers::eventually(
        || async { open().await.ok().filter(|r| r.status().as_u16() == 200).map(|_| ()) },
        crate::helpers::WAIT,
    )
    .await;
}

#[actix_web::test]
async fn the_dashboard_allows_no_inline_script_no_framing_and_no_sniffing() {
    let nats = NatsServer::start().await;
    let app = spawn_admin_app(&nats, |_| {}).await;
    let page = app.get("/dashboard").await;
    let header = |name: &str| page.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let csp = header("content-security-policy");
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    let script_src = csp.split(';').find(|d| d.trim().starts_with("script-src")).unwrap_or_default();
    assert!(!script_src.contains("unsafe-inline"), "no inline script: {csp}");
    assert_eq!(header("x-content-type-options"), "nosniff");
    let html = page.text().await.expect("page");
    assert!(
        !html.contains("<script>") && html.contains(r#"<script src="/dashboard/static/app.js""#),
        "scripts are files"
    );

    let script = app.get("/dashboard/static/app.js").await;
    assert_eq!(script.status().as_u16(), 200);
    assert!(script.headers()["content-type"].to_str().is_ok_and(|t| t.starts_with("text/javascript")));
    assert_eq!(script.headers()["x-content-type-options"], "nosniff");
    assert_eq!(app.get("/dashboard/static/secrets.js").await.status().as_u16(), 404);
}

#[actix_web::test]
async fn the_overview_says_whether_admin_routes_rely_on_the_loopback_rule_alone() {
    let nats = NatsServer::start().await;
    let open = crate::helpers::spawn_app(&nats).await;
    let body: Value = open.get("/api/overview").await.json().await.expect("overview");
    assert_eq!(body["admin"]["token_set"], false, "{body}");
    let guarded = spawn_admin_app(&nats, |_| {}).await;
    let url = format!("{}/api/overview", guarded.address);
    let body: Value = guarded.client.get(url).bearer_auth(TOKEN).send().await.expect("GET").json().await.expect("JSON");
    assert_eq!(body["admin"]["token_set"], true, "{body}");
}

/// Reads `stream` until it has delivered `n` whole server-sent events.
async fn read_frames(stream: &mut reqwest::Response, n: usize) {
    let mut text = String::new();
    while text.matches("\n\n").count() < n {
        let chunk = stream.chunk().await.expect("a frame").expect("stream open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[actix_web::test]
async fn stream_clients_share_one_snapshot_a_second() {
    let nats = NatsServer::start().await;
    let app = spawn_admin_app(&nats, |_| {}).await;
    let open = || app.client.get(format!("{}/api/stream", app.address)).bearer_auth(TOKEN).send();
    let mut streams = [open().await.expect("stream"), open().await.expect("stream"), open().await.expect("stream")];
    for stream in &mut streams {
        read_frames(stream, 4).await;
    }
    let url = format!("{}/api/overview", app.address);
    let overview: Value = app.client.get(url).bearer_auth(TOKEN).send().await.expect("GET").json().await.expect("JSON");
    let streams_info = &overview["dashboard_streams"];
    assert_eq!(streams_info["clients"], 3, "{streams_info}");
    let built = streams_info["snapshots_built"].as_u64().expect("snapshots_built");
    assert!((4..=6).contains(&built), "3 clients × 4 frames took {built} snapshots, not one per client per second");
}
