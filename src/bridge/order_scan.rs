//! Reading order records in bulk for the operator's order list, from what
//! is already written: the `orders` bucket keeps one message per order
//! (history 1) in its stream `KV_orders`, in the order of their last
//! change. Every order changed since a time is therefore one ordered,
//! ephemeral consumer read from that time; nothing is written.
//!
//! Bounded in messages and time: the read is refused before it starts when
//! more than `max_records` records changed since the start
//! ([`ScanError::TooWide`]), and abandoned at `deadline`
//! ([`ScanError::TimedOut`]). Deleted keys are passed over; undecodable
//! records are skipped and counted.

use async_nats::jetstream::consumer::pull::OrderedConfig;
use async_nats::jetstream::consumer::{Consumer, DeliverPolicy};
use futures::StreamExt;
use std::time::Duration;
use time::OffsetDateTime;

use super::{BridgeError, Nats, subjects};
use crate::domain::Order;

/// How much one scan may cost.
#[derive(Debug, Clone, Copy)]
pub struct ScanLimits {
    /// Most records read; a window holding more is refused before reading.
    pub max_records: u64,
    /// Longest time spent reading.
    pub deadline: Duration,
}

/// Why a scan gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{records} order records changed since the start of the window; a query reads at most {max}")]
    TooWide { records: u64, max: u64 },
    #[error("reading order records took longer than {0:?}")]
    TimedOut(Duration),
    #[error(transparent)]
    Bridge(#[from] BridgeError),
}

/// What a scan read.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ScanStats {
    /// Records read from the stream (deleted keys included).
    pub read: u64,
    /// Records that did not decode as an order.
    pub skipped: u64,
}

fn unavailable(e: impl std::error::Error + Send + Sync + 'static) -> BridgeError {
    BridgeError::unavailable(e)
}

type OrderedConsumer = Consumer<OrderedConfig>;

impl Nats {
    /// Calls `visit` with every order record changed at or after `since`,
    /// oldest change first.
    pub async fn scan_orders(
        &self,
        since: OffsetDateTime,
        limits: ScanLimits,
        visit: &mut (dyn FnMut(Order) + Send),
    ) -> Result<ScanStats, ScanError> {
        let consumer = self.orders_since(since).await?;
        let records = consumer.cached_info().num_pending;
        if records > limits.max_records {
            return Err(ScanError::TooWide { records, max: limits.max_records });
        }
        if records == 0 {
            return Ok(ScanStats::default());
        }
        let read = read_records(consumer, records, visit);
        tokio::time::timeout(limits.deadline, read)
            .await
            .map_err(|_| ScanError::TimedOut(limits.deadline))?
            .map_err(Into::into)
    }

    /// An ephemeral ordered consumer on `KV_orders` from `since`; the server
    /// counts the records it will deliver (`num_pending`) when creating it.
    async fn orders_since(&self, since: OffsetDateTime) -> Result<OrderedConsumer, BridgeError> {
        let stream = self.js.get_stream(format!("KV_{}", subjects::ORDERS_BUCKET)).await.map_err(unavailable)?;
        let config = OrderedConfig {
            filter_subject: format!("$KV.{}.>", subjects::ORDERS_BUCKET),
            deliver_policy: DeliverPolicy::ByStartTime { start_time: since },
            max_batch: 1000,
            ..Default::default()
        };
        stream.create_consumer(config).await.map_err(unavailable)
    }
}

/// Reads the first `records` messages (records changed after the consumer
/// was created are left out: they would make the read unbounded under load).
async fn read_records(
    consumer: OrderedConsumer,
    records: u64,
    visit: &mut (dyn FnMut(Order) + Send),
) -> Result<ScanStats, BridgeError> {
    let mut messages = consumer.messages().await.map_err(unavailable)?;
    let mut stats = ScanStats::default();
    while stats.read < records {
        let Some(message) = messages.next().await else { break };
        let message = message.map_err(unavailable)?;
        stats.read += 1;
        if message.payload.is_empty() {
            continue;
        }
        match serde_json::from_slice::<Order>(&message.payload) {
            Ok(order) => visit(order),
            Err(_) => stats.skipped += 1,
        }
    }
    Ok(stats)
}
