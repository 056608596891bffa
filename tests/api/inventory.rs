//! `PUT /inventory/{sku}` and `GET /inventory/{sku}`.

use serde_json::{Value, json};

use crate::helpers::{assert_error_shape, spawn_app};
use support::nats::NatsServer;

#[actix_web::test]
async fn unknown_sku_is_404_with_json_error() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;

    let response = app.get_stock("NO-SUCH-SKU").await;

    assert_eq!(response.status().as_u16(), 404);
    assert_error_shape(&response.json().await.expect("404 JSON"));
}

#[actix_web::test]
async fn put_stock_returns_the_record_and_get_reads_it_back() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;

    let put = app.set_stock("SKU-A", 42).await;
    assert_eq!(put.status().as_u16(), 200);
    let record: Value = put.json().await.expect("PUT JSON");
    let get: Value = app.get_stock("SKU-A").await.json().await.expect("GET JSON");

    assert_eq!(record, json!({"sku": "SKU-A", "available": 42, "reserved": 0}));
    assert_eq!(get, record);
}

#[actix_web::test]
async fn put_stock_overwrites_available() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    app.stock("SKU-A", 42).await;

    app.stock("SKU-A", 7).await;

    assert_eq!(app.stock_levels("SKU-A").await, (7, 0));
}

#[actix_web::test]
async fn put_negative_or_missing_available_is_rejected_with_json_error() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    let url = format!("{}/inventory/SKU-A", app.address);

    for body in [json!({"available": -1}), json!({}), json!({"available": "many"})] {
        let response = app.client.put(&url).json(&body).send().await.expect("PUT");
        let status = response.status().as_u16();
        assert!(status == 400 || status == 422, "{body} answered {status}");
        assert_error_shape(&response.json().await.expect("error JSON"));
    }
    assert_eq!(app.get_stock("SKU-A").await.status().as_u16(), 404, "a rejected PUT must not create stock");
}
