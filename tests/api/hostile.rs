//! Hostile input and open doors, each replayed against a real service and
//! nats-server: SKUs that are not KV keys, a reservation that fails halfway,
//! stock changes without the token, unbounded metric labels, the open
//! default (foreign hosts, cross-site forms), auth before extraction, and
//! card numbers posing as payment tokens.

use reqwest::Method;
use serde_json::{Value, json};

use crate::events::stream_message_count;
use crate::helpers::{WAIT, assert_error_shape, eventually, order_body, spawn_app, spawn_app_with};
use support::nats::NatsServer;

const TOKEN: &str = "s3cret-admin-token";

fn with_token(s: &mut order_service::config::Settings) {
    s.admin.token = Some(order_service::config::Secret(TOKEN.into()));
}

async fn code_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("JSON error body");
    (status, assert_error_shape(&body))
}

#[actix_web::test]
async fn an_order_naming_a_sku_that_is_not_a_kv_key_is_refused_and_locks_nothing() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    app.stock("SKU-X", 10).await;
    for bad in ["zz.", ".a", "a..b", ".."] {
        let body = order_body("c-1", &[("SKU-X", 5, 100), (bad, 1, 100)], "tok_visa");
        let (status, code) = code_of(app.post_order(&body, None).await).await;
        assert_eq!((status, code.as_str()), (422, "invalid_sku"), "sku {bad:?}");
    }
    assert_eq!(app.stock_levels("SKU-X").await, (10, 0), "no stock locked");
    assert_eq!(stream_message_count(&app.nats_url).await, 0, "nothing published");
}

#[actix_web::test]
async fn inventory_routes_answer_422_invalid_sku_for_keys_the_store_cannot_hold() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    // (`..` alone is not sendable: URL clients resolve it as a path segment.)
    for bad in ["zz.", ".a", "a..b", "a."] {
        let (status, code) = code_of(app.get_stock(bad).await).await;
        assert_eq!((status, code.as_str()), (422, "invalid_sku"), "GET {bad:?}");
        let (status, code) = code_of(app.set_stock(bad, 1).await).await;
        assert_eq!((status, code.as_str()), (422, "invalid_sku"), "PUT {bad:?}");
    }
}

/// Writes bytes that are not a stock record under `sku`.
async fn corrupt_stock_record(nats_url: &str, sku: &str) {
    let client = async_nats::connect(nats_url).await.expect("connect");
    let js = async_nats::jetstream::new(client);
    let kv = js.get_key_value("inventory").await.expect("inventory bucket");
    kv.put(sku, "not a stock record".into()).await.expect("put");
}

#[actix_web::test]
async fn a_reservation_failing_for_good_on_one_sku_releases_the_others_and_fails_the_order_once() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    app.stock("SKU-A", 10).await;
    corrupt_stock_record(nats.url(), "SKU-B").await;
    let order_id = app.place_order(&order_body("c-1", &[("SKU-A", 5, 100), ("SKU-B", 1, 100)], "tok_visa")).await;
    let order = app.wait_terminal(&order_id).await;
    assert_eq!((order["status"].as_str(), order["failure_reason"].as_str()), (Some("FAILED"), Some("REJECTED")));
    assert_eq!(app.stock_levels("SKU-A").await, (10, 0), "the hold on SKU-A was released");
    let letters = app.admin(Method::GET, "/dlq").send().await.expect("GET /dlq");
    let letters: Value = letters.json().await.expect("dlq JSON");
    assert_eq!(letters["dead_letters"].as_array().map(Vec::len), Some(0), "failed cleanly, not dead-lettered");
}

#[actix_web::test]
async fn put_inventory_needs_the_admin_token_when_one_is_set() {
    let nats = NatsServer::start().await;
    let app = spawn_app_with(&nats, with_token).await;
    let url = format!("{}/inventory/SKU-A", app.address);
    let body = json!({"available": 0});
    let anonymous = app.client.put(&url).json(&body).send().await.expect("PUT");
    assert_eq!(code_of(anonymous).await, (401, "unauthorized".into()));
    let wrong = app.client.put(&url).bearer_auth("guess").json(&body).send().await.expect("PUT");
    assert_eq!(code_of(wrong).await, (401, "unauthorized".into()));
    let lower_case_scheme = app.client.put(&url).header("Authorization", format!("bearer {TOKEN}")).json(&body);
    assert_eq!(lower_case_scheme.send().await.expect("PUT").status().as_u16(), 200, "RFC 6750: scheme is any case");
}

#[actix_web::test]
async fn admin_auth_is_decided_before_path_and_query_extraction() {
    let nats = NatsServer::start().await;
    let app = spawn_app_with(&nats, with_token).await;
    for (method, path) in [(Method::GET, "/dlq?limit=-1"), (Method::POST, "/dlq/abc/replay")] {
        let anonymous = app.client.request(method.clone(), format!("{}{path}", app.address)).send().await;
        assert_eq!(code_of(anonymous.expect("request")).await.0, 401, "{method} {path} without a token");
    }
    let (status, _) = code_of(app.admin(Method::GET, "/dlq?limit=-1").send().await.expect("GET")).await;
    assert_eq!(status, 400, "a bad query with the token is a JSON 400");
    let (status, _) = code_of(app.admin(Method::POST, "/dlq/abc/replay").send().await.expect("POST")).await;
    assert_eq!(status, 404, "a bad id with the token is a JSON 404");
}

#[actix_web::test]
async fn without_a_token_admin_routes_refuse_foreign_hosts_and_cross_site_forms() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    let overview = format!("{}/api/overview", app.address);
    let ok = app.client.get(&overview).send().await.expect("GET");
    assert_eq!(ok.status().as_u16(), 200, "a loopback client under a loopback host is served");
    let rebound = app.client.get(&overview).header("Host", "evil.example").send().await.expect("GET");
    assert_eq!(code_of(rebound).await, (403, "forbidden".into()), "DNS rebinding");
    let replay = format!("{}/dlq/1/replay", app.address);
    let form = app.client.post(&replay).header("Origin", "http://evil.example");
    let form = form.header("Content-Type", "application/x-www-form-urlencoded").body("x=1");
    assert_eq!(code_of(form.send().await.expect("POST")).await, (403, "forbidden".into()), "cross-site form");
    let foreign = app.admin(Method::POST, "/dlq/1/replay").header("Origin", "http://evil.example");
    assert_eq!(code_of(foreign.send().await.expect("POST")).await, (403, "forbidden".into()), "foreign Origin");
    let own = app.admin(Method::POST, "/dlq/1/replay").header("Origin", app.address.as_str());
    assert_eq!(code_of(own.send().await.expect("POST")).await, (404, "not_found".into()), "same origin is served");
}

#[actix_web::test]
async fn metric_labels_stay_bounded_whatever_methods_and_paths_clients_send() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    let metrics = || async { app.client.get(format!("{}/metrics", app.address)).send().await.ok()?.text().await.ok() };
    let before = eventually(metrics, WAIT).await.len();
    for i in 0..100 {
        let method = Method::from_bytes(format!("X{i}{}", "Y".repeat(500)).as_bytes()).expect("method token");
        let path = format!("{}/random/{i}/{}", app.address, "z".repeat(200));
        let _ = app.client.request(method, path).send().await;
    }
    let after = eventually(metrics, WAIT).await;
    assert!(!after.contains("YYYY") && !after.contains("zzzz"), "raw methods or paths became labels");
    assert!(after.contains("method=\"other\"") && after.contains("route=\"unmatched\""), "{after}");
    assert!(after.len() < before + 8 * 1024, "/metrics grew from {before} to {} bytes", after.len());
}

#[actix_web::test]
async fn a_card_number_as_payment_token_is_refused_and_never_echoed() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    let body = order_body("c-1", &[("SKU-A", 1, 100)], "4111 1111 1111 1111");
    let response = app.post_order(&body, None).await;
    assert_eq!(response.status().as_u16(), 422);
    let text = response.text().await.expect("body");
    assert!(!text.contains("4111"), "card digits echoed: {text}");
    assert_eq!(stream_message_count(&app.nats_url).await, 0, "nothing published");
}

#[actix_web::test]
async fn invisible_or_reordering_customer_ids_and_unknown_currencies_are_refused() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    for customer in ["\u{200B}\u{FEFF}", "c-\u{202E}1", "c-\u{2028}1"] {
        let response = app.post_order(&order_body(customer, &[("SKU-A", 1, 100)], "tok_visa"), None).await;
        assert_eq!(code_of(response).await, (422, "invalid_order".into()), "customer_id {customer:?}");
    }
    let mut body = order_body("c-1", &[("SKU-A", 1, 100)], "tok_visa");
    body["currency"] = json!("ABC");
    assert_eq!(code_of(app.post_order(&body, None).await).await, (422, "invalid_order".into()), "currency ABC");
    assert_eq!(stream_message_count(&app.nats_url).await, 0, "nothing published");
}

#[actix_web::test]
async fn content_encoded_or_non_json_bodies_get_415_and_publish_nothing() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    let body = serde_json::to_vec(&order_body("c-1", &[("SKU-A", 1, 100)], "tok_visa")).expect("json");
    let url = format!("{}/orders", app.address);
    let gzip = app.client.post(&url).header("Content-Type", "application/json").header("Content-Encoding", "gzip");
    assert_eq!(
        code_of(gzip.body(body.clone()).send().await.expect("POST")).await,
        (415, "unsupported_media_type".into())
    );
    let text = app.client.post(&url).header("Content-Type", "text/plain").body(body);
    assert_eq!(code_of(text.send().await.expect("POST")).await, (415, "unsupported_media_type".into()));
    assert_eq!(stream_message_count(&app.nats_url).await, 0, "nothing published");
}

#[actix_web::test]
async fn a_body_trickled_slower_than_the_body_timeout_gets_408_and_the_connection_closes() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let nats = NatsServer::start().await;
    let app = spawn_app_with(&nats, |s| s.http.body_timeout = std::time::Duration::from_secs(1)).await;
    let authority = app.address.trim_start_matches("http://").to_string();
    let mut socket = tokio::net::TcpStream::connect(&authority).await.expect("connect");
    let head = format!(
        "POST /orders HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{{"
    );
    socket.write_all(head.as_bytes()).await.expect("write head");
    // The body never completes, as with a client trickling it: the answer
    // must come once the body timeout has passed, not when the body is in.
    let mut answer = Vec::new();
    let read = async {
        loop {
            let mut chunk = [0u8; 1024];
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&chunk[..n]),
            }
        }
    };
    tokio::time::timeout(WAIT, read).await.expect("the service answered and closed within the wait");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("request_timeout"), "{text}");
}

#[actix_web::test]
async fn a_sku_with_a_list_price_refuses_orders_at_another_price() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    let put = app.admin(Method::PUT, "/inventory/SKU-P").json(&json!({"available": 5, "price_minor": 1999}));
    let stock: Value = put.send().await.expect("PUT").json().await.expect("stock JSON");
    assert_eq!(stock["price_minor"], 1999);
    let free = app.post_order(&order_body("c-1", &[("SKU-P", 1, 0)], "tok_visa"), None).await;
    assert_eq!(code_of(free).await, (422, "price_mismatch".into()), "a free order of a priced SKU");
    assert_eq!(stream_message_count(&app.nats_url).await, 0, "nothing published");
    let listed = app.post_order(&order_body("c-1", &[("SKU-P", 1, 1999)], "tok_visa"), None).await;
    assert_eq!(listed.status().as_u16(), 202, "the list price is accepted");
    let cleared = app.admin(Method::PUT, "/inventory/SKU-P").json(&json!({"available": 5, "price_minor": null}));
    assert_eq!(cleared.send().await.expect("PUT").status().as_u16(), 200);
    let trusted = app.post_order(&order_body("c-1", &[("SKU-P", 1, 0)], "tok_visa"), None).await;
    assert_eq!(trusted.status().as_u16(), 202, "without a list price the client's price is trusted");
}
