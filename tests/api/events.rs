//! Read access to the `ORDERS` stream: every event with its `Order-Id` and
//! `Nats-Msg-Id` headers, read with an ephemeral ordered consumer, plus the
//! waits and summaries the tests assert on.

use std::time::Duration;

use async_nats::jetstream::{self, consumer::DeliverPolicy, consumer::pull::OrderedConfig};
use futures::StreamExt;

use crate::helpers::{WAIT, eventually};

const STREAM: &str = "ORDERS";

/// One message of the `ORDERS` stream as the tests see it.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub(crate) subject: String,
    pub(crate) order_id: Option<String>,
    pub(crate) msg_id: Option<String>,
    pub(crate) payload: Vec<u8>,
}

/// Every message in `ORDERS`, in stream order, read with an ordered consumer.
pub(crate) async fn all_events(nats_url: &str) -> Vec<Event> {
    let js = jetstream::new(async_nats::connect(nats_url).await.expect("connect to nats"));
    let mut stream = js.get_stream(STREAM).await.expect("stream ORDERS exists");
    let last = stream.info().await.expect("ORDERS info").state.last_sequence;
    if last == 0 {
        return Vec::new();
    }
    let config =
        OrderedConfig { filter_subject: "ORDER.*".into(), deliver_policy: DeliverPolicy::All, ..Default::default() };
    let consumer = stream.create_consumer(config).await.expect("ordered consumer");
    let mut messages = consumer.messages().await.expect("ordered consumer messages");
    let mut events = Vec::new();
    loop {
        let next = tokio::time::timeout(Duration::from_secs(10), messages.next()).await;
        let msg = next.expect("ORDERS read timed out").expect("ORDERS ended").expect("message");
        let info = msg.info().expect("jetstream message info");
        let (sequence, pending) = (info.stream_sequence, info.pending);
        events.push(event_of(&msg));
        if pending == 0 || sequence >= last {
            return events;
        }
    }
}

fn event_of(msg: &async_nats::Message) -> Event {
    let header = |name: &str| {
        let headers = msg.headers.as_ref()?;
        headers.get(name).map(|v| v.as_str().to_string())
    };
    Event {
        subject: msg.subject.to_string(),
        order_id: header("Order-Id"),
        msg_id: header("Nats-Msg-Id"),
        payload: msg.payload.to_vec(),
    }
}

/// The events whose `Order-Id` header is `order_id`, in stream order.
pub(crate) async fn events_for(nats_url: &str, order_id: &str) -> Vec<Event> {
    let mut events = all_events(nats_url).await;
    events.retain(|e| e.order_id.as_deref() == Some(order_id));
    events
}

/// How many messages `ORDERS` holds now.
pub(crate) async fn stream_message_count(nats_url: &str) -> u64 {
    let js = jetstream::new(async_nats::connect(nats_url).await.expect("connect to nats"));
    let mut stream = js.get_stream(STREAM).await.expect("stream ORDERS exists");
    stream.info().await.expect("ORDERS info").state.messages
}

/// The subjects of `events`, e.g. `["ORDER.created", ...]`.
pub(crate) fn subjects(events: &[Event]) -> Vec<&str> {
    events.iter().map(|e| e.subject.as_str()).collect()
}

/// Waits until `order_id` has an `ORDER.completed` or `ORDER.failed` event and
/// returns all its events.
pub(crate) async fn terminal_events(nats_url: &str, order_id: &str) -> Vec<Event> {
    eventually(
        || async {
            let events = events_for(nats_url, order_id).await;
            let done = events.iter().any(|e| e.subject == "ORDER.completed" || e.subject == "ORDER.failed");
            done.then_some(events)
        },
        WAIT,
    )
    .await
}

/// Ids from `Order-Id` headers of every `ORDER.created` message in the stream.
pub(crate) async fn created_order_ids(nats_url: &str) -> Vec<String> {
    let events = all_events(nats_url).await;
    events.into_iter().filter(|e| e.subject == "ORDER.created").map(|e| e.order_id.unwrap_or_default()).collect()
}
