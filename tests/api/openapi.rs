//! The OpenAPI document: served at `/openapi.json` without a token, valid
//! OpenAPI 3.1 that covers every route, and equal to the committed
//! `docs/openapi.json` (`make openapi` rewrites the copy after a change).
//! Coverage is checked against the routes `configure` registers.

use serde_json::Value;

use crate::helpers::spawn_app_with;
use support::nats::NatsServer;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json");

async fn served_document() -> (String, Value) {
    let nats = NatsServer::start().await;
    let app = spawn_app_with(&nats, |s| s.admin.token = Some(order_service::config::Secret("s3cret".into()))).await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status().as_u16(), 200, "/openapi.json needs no token");
    let content_type = response.headers().get("Content-Type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert_eq!(content_type, "application/json");
    let text = response.text().await.expect("document body");
    let json = serde_json::from_str(&text).expect("the document is JSON");
    (text, json)
}

#[actix_web::test]
async fn served_openapi_document_equals_the_committed_copy() {
    let (served, _) = served_document().await;
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(COMMITTED, &served).expect("write docs/openapi.json");
        return;
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        served == committed,
        "docs/openapi.json differs from the served /openapi.json: the HTTP contract changed. \
         Review the change, then run `make openapi` to update the copy."
    );
}

#[actix_web::test]
async fn openapi_document_is_version_3_1_and_covers_every_route() {
    let (_, doc) = served_document().await;

    assert_eq!(doc["openapi"], "3.1.0");
    let operations: Vec<String> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object().into_iter().flat_map(|m| m.keys()).map(move |m| format!("{m} {path}"))
        })
        .collect();
    let mut registered = registered_routes();
    let mut documented = operations.clone();
    registered.sort();
    documented.sort();
    assert!(registered.len() >= 19, "routes not found in src/http/mod.rs: {registered:?}");
    assert_eq!(documented, registered, "documented operations differ from the registered routes");
}

/// Every `.route("<path>", web::<method>()` that `configure` registers.
fn registered_routes() -> Vec<String> {
    let source = include_str!("../../src/http/mod.rs");
    source
        .split(".route(\"")
        .skip(1)
        .filter_map(|rest| {
            let (path, rest) = rest.split_once('"')?;
            let method = rest.split_once("web::")?.1.split_once("()")?.0;
            Some(format!("{method} {path}"))
        })
        .collect()
}
