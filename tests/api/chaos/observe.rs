//! Reading what the system recorded, as an outside observer: the `ORDERS`
//! stream (subject, sequence and `Order-Id` of every message), the
//! `order-saga` consumer's state, and the HTTP views (orders, stock, dead
//! letters) through whichever service address answers.
//!
//! Reads return `Err`/`None` instead of panicking: during chaos a read may
//! hit a node that just died, and callers poll with a deadline.

use std::time::Duration;

use async_nats::jetstream::{self, consumer::DeliverPolicy, consumer::pull::OrderedConfig};
use futures::StreamExt;
use serde_json::Value;

const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// One message of `ORDERS`.
#[derive(Debug, Clone)]
pub(crate) struct StreamEvent {
    pub(crate) sequence: u64,
    pub(crate) subject: String,
    pub(crate) order_id: Option<String>,
}

/// The state of the `order-saga` consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SagaConsumer {
    pub(crate) pending: u64,
    pub(crate) ack_pending: usize,
    pub(crate) redelivered: usize,
}

/// A JetStream context over any of the comma-separated `urls`.
pub(crate) async fn jetstream(urls: &str) -> Result<jetstream::Context, String> {
    let urls: Vec<&str> = urls.split(',').collect();
    let connect = async_nats::ConnectOptions::new().connection_timeout(Duration::from_secs(2)).connect(urls);
    let client = tokio::time::timeout(READ_TIMEOUT, connect)
        .await
        .map_err(|_| "connect timed out".to_string())?
        .map_err(|e| format!("connect: {e}"))?;
    let mut js = jetstream::new(client);
    js.set_timeout(Duration::from_secs(3));
    Ok(js)
}

/// Every message of `ORDERS`, in stream order.
pub(crate) async fn orders_stream(urls: &str) -> Result<Vec<StreamEvent>, String> {
    let js = jetstream(urls).await?;
    let mut stream = js.get_stream("ORDERS").await.map_err(|e| format!("stream ORDERS: {e}"))?;
    let last = stream.info().await.map_err(|e| format!("ORDERS info: {e}"))?.state.last_sequence;
    if last == 0 {
        return Ok(Vec::new());
    }
    let config =
        OrderedConfig { filter_subject: "ORDER.*".into(), deliver_policy: DeliverPolicy::All, ..Default::default() };
    let consumer = stream.create_consumer(config).await.map_err(|e| format!("ordered consumer: {e}"))?;
    let mut messages = consumer.messages().await.map_err(|e| format!("messages: {e}"))?;
    let mut events = Vec::new();
    loop {
        let next = tokio::time::timeout(READ_TIMEOUT, messages.next()).await;
        let message = match next {
            Ok(Some(Ok(message))) => message,
            other => return Err(format!("ORDERS read ended early: {other:?}")),
        };
        let info = message.info().map_err(|e| format!("message info: {e}"))?;
        let (sequence, pending) = (info.stream_sequence, info.pending);
        let order_id = message.headers.as_ref().and_then(|h| h.get("Order-Id")).map(|v| v.as_str().to_string());
        events.push(StreamEvent { sequence, subject: message.subject.to_string(), order_id });
        if pending == 0 || sequence >= last {
            return Ok(events);
        }
    }
}

/// The `order-saga` consumer as the server sees it.
pub(crate) async fn saga_consumer(urls: &str) -> Result<SagaConsumer, String> {
    let js = jetstream(urls).await?;
    let stream = js.get_stream("ORDERS").await.map_err(|e| format!("stream ORDERS: {e}"))?;
    let info = stream.consumer_info("order-saga").await.map_err(|e| format!("consumer info: {e}"))?;
    Ok(SagaConsumer { pending: info.num_pending, ack_pending: info.num_ack_pending, redelivered: info.num_redelivered })
}

/// The HTTP API through any of several service addresses.
#[derive(Debug, Clone)]
pub(crate) struct Api {
    client: reqwest::Client,
    addresses: Vec<String>,
}

impl Api {
    pub(crate) fn new(addresses: Vec<String>) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder().timeout(Duration::from_secs(3)).build().expect("observer client");
        Self { client, addresses }
    }

    /// `(status, JSON body)` of `GET path` from the first address that answers.
    async fn get(&self, path: &str) -> Option<(u16, Value)> {
        for address in &self.addresses {
            let Ok(response) = self.client.get(format!("{address}{path}")).send().await else {
                continue;
            };
            let status = response.status().as_u16();
            if status >= 500 {
                continue;
            }
            return Some((status, response.json().await.unwrap_or(Value::Null)));
        }
        None
    }

    /// `GET /orders/{id}` (None: no answer or not 200).
    pub(crate) async fn order(&self, order_id: &str) -> Option<Value> {
        self.get(&format!("/orders/{order_id}")).await.filter(|(s, _)| *s == 200).map(|(_, body)| body)
    }

    /// `(available, reserved)` of a SKU.
    pub(crate) async fn stock(&self, sku: &str) -> Option<(u64, u64)> {
        let (_, body) = self.get(&format!("/inventory/{sku}")).await.filter(|(s, _)| *s == 200)?;
        Some((body["available"].as_u64()?, body["reserved"].as_u64()?))
    }

    /// `GET /dlq?limit=1000`: every dead letter.
    pub(crate) async fn dead_letters(&self) -> Option<Vec<Value>> {
        let (_, body) = self.get("/dlq?limit=1000").await.filter(|(s, _)| *s == 200)?;
        body["dead_letters"].as_array().cloned()
    }

    /// `POST /orders` again with an accepted key and body: the order id
    /// the service answers now (None: not 2xx).
    pub(crate) async fn repeat(&self, key: &str, body: &Value) -> Option<String> {
        for address in &self.addresses {
            let request = self.client.post(format!("{address}/orders")).header("Idempotency-Key", key).json(body);
            let Ok(response) = request.send().await else { continue };
            if !response.status().is_success() {
                continue;
            }
            let json: Value = response.json().await.ok()?;
            return json["order_id"].as_str().map(String::from);
        }
        None
    }

    /// Sets a SKU's stock; panics unless 200.
    pub(crate) async fn set_stock(&self, sku: &str, available: u64) {
        let url = format!("{}/inventory/{sku}", self.addresses[0]);
        let response = self.client.put(url).json(&serde_json::json!({"available": available})).send().await;
        let status = response.map(|r| r.status().as_u16());
        assert_eq!(status.ok(), Some(200), "PUT /inventory/{sku}");
    }
}
