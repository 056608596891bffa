//! End-to-end latency from the events themselves: an ordered consumer on the
//! `ORDERS` stream (`ORDER.created`, `ORDER.completed`, `ORDER.failed`,
//! starting at the current end) pairs each order's terminal event with its
//! `ORDER.created` by the `Order-Id` header and records the difference of
//! the two stream timestamps (both stamped by the server's clock).
//!
//! Only orders whose `ORDER.created` this observer saw are counted, so
//! events of earlier runs never leak in. The failure reason of
//! `ORDER.failed` is decoded from its protobuf payload.

use anyhow::Context as _;
use async_nats::jetstream::{self, consumer::DeliverPolicy, consumer::pull::OrderedConfig};
use futures::StreamExt;
use order_service::contracts::proto::{FailureReason, OrderFailed};
use prost::Message as _;

use crate::tally::{self, Outcome, SharedTally};

const STREAM: &str = "ORDERS";
const CREATED: &str = "ORDER.created";
const COMPLETED: &str = "ORDER.completed";
const FAILED: &str = "ORDER.failed";

/// Reads the stream in the background while a scenario runs.
#[derive(Debug)]
pub(crate) struct Observer {
    pub(crate) tally: SharedTally,
    task: tokio::task::JoinHandle<()>,
}

impl Observer {
    /// Subscribes at the current end of `ORDERS`; ready when this returns.
    pub(crate) async fn start(nats_url: &str) -> anyhow::Result<Self> {
        let client = async_nats::connect(nats_url).await.with_context(|| format!("connect to NATS at {nats_url}"))?;
        let js = jetstream::new(client);
        let stream = js.get_stream(STREAM).await.context("stream ORDERS (is the service running?)")?;
        let config = OrderedConfig {
            filter_subjects: vec![CREATED.into(), COMPLETED.into(), FAILED.into()],
            deliver_policy: DeliverPolicy::New,
            ..Default::default()
        };
        let consumer = stream.create_consumer(config).await.context("ordered consumer on ORDERS")?;
        let mut messages = consumer.messages().await.context("ordered consumer messages")?;
        let tally = tally::shared();
        let shared = tally.clone();
        let task = tokio::spawn(async move {
            while let Some(next) = messages.next().await {
                let Ok(message) = next else { continue };
                let Ok(info) = message.info() else { continue };
                let at = info.published.unix_timestamp_nanos();
                let Some(order_id) = message.headers.as_ref().and_then(|h| h.get("Order-Id")) else { continue };
                let mut tally = tally::lock(&shared);
                match message.subject.as_str() {
                    CREATED => tally.created(order_id.as_str(), at),
                    COMPLETED => tally.terminal(order_id.as_str(), at, Outcome::Completed),
                    _ => tally.terminal(order_id.as_str(), at, failure(&message.payload)),
                }
            }
        });
        Ok(Self { tally, task })
    }

    pub(crate) fn stop(self) {
        self.task.abort();
    }
}

fn failure(payload: &[u8]) -> Outcome {
    match OrderFailed::decode(payload).map(|f| f.reason()).unwrap_or(FailureReason::Unspecified) {
        FailureReason::OutOfStock => Outcome::OutOfStock,
        FailureReason::PaymentDeclined => Outcome::PaymentDeclined,
        _ => Outcome::OtherFailure,
    }
}
