//! `order_service_dead_letters_total` counts a message once, when the
//! `DEAD_LETTERS` stream stored it: a dead-lettering that fails (the
//! message is nak'd and dead-lettered again later) is not counted, and a
//! successful one is.

use async_nats::jetstream;

use crate::helpers::start_service;
use crate::helpers::{WAIT, eventually, http_client};
use support::nats::NatsServer;
use support::service::ServiceProcess;

#[actix_web::test]
async fn a_dead_lettering_that_fails_is_not_counted_and_one_that_succeeds_is() {
    let nats = NatsServer::start().await;
    let service = start_service(&[("NATS_URL", nats.url())]).await;
    let js = jetstream::new(async_nats::connect(nats.url()).await.expect("test NATS client"));
    js.delete_stream("DEAD_LETTERS").await.expect("delete DEAD_LETTERS");

    publish_poison(&js, b"not protobuf (1)").await;
    eventually(|| async { service.logs().contains("dead-lettering failed").then_some(()) }, WAIT).await;
    assert_eq!(dead_letters_total(&service).await, 0, "counted although nothing was stored");

    let config =
        jetstream::stream::Config { name: "DEAD_LETTERS".into(), subjects: vec!["DLQ.>".into()], ..Default::default() };
    js.create_stream(config).await.expect("recreate DEAD_LETTERS");
    publish_poison(&js, b"not protobuf (2)").await;
    eventually(|| async { (dead_letters_total(&service).await == 1).then_some(()) }, WAIT).await;
}

async fn publish_poison(js: &jetstream::Context, payload: &'static [u8]) {
    let ack = js.publish("ORDER.created", bytes::Bytes::from_static(payload)).await.expect("publish poison");
    ack.await.expect("poison stored");
}

async fn dead_letters_total(service: &ServiceProcess) -> u64 {
    let url = format!("{}/metrics", service.address);
    let response = http_client().get(url).send().await.expect("GET /metrics");
    let text = response.text().await.expect("metrics text");
    let line = text.lines().find(|l| l.starts_with("order_service_dead_letters_total "));
    line.and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()).unwrap_or(0)
}
