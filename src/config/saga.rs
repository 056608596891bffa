//! The `saga` section: how the `order-saga` consumer delivers work, and
//! how often a message is retried before it is dead-lettered.

use std::time::Duration;

use super::parse::Parser;

/// Delivery of saga messages.
#[derive(Debug, Clone)]
pub struct SagaSettings {
    /// `ACK_WAIT_SECS`: JetStream ack_wait of the saga consumer.
    pub ack_wait: Duration,
    /// `MAX_DELIVER`: deliveries of one saga message before it is
    /// dead-lettered (transient failures are retried with growing delays).
    pub max_deliver: i64,
}

impl Default for SagaSettings {
    fn default() -> Self {
        Self { ack_wait: Duration::from_secs(30), max_deliver: 20 }
    }
}

impl SagaSettings {
    pub(super) fn read(p: &mut Parser<'_>) -> Self {
        let d = Self::default();
        Self {
            ack_wait: p.secs("ACK_WAIT_SECS", d.ack_wait),
            max_deliver: p.bounded("MAX_DELIVER", d.max_deliver as usize, 2, 10_000) as i64,
        }
    }
}
