//! Which event a subject carries, and its payload decoded.

use prost::Message as _;

use crate::v1;

/// Every event on `ORDER.*`. [`EventKind::name`] is the subject suffix
/// and the `Nats-Msg-Id` suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// `ORDER.created`: the order was accepted.
    Created,
    /// `ORDER.inventory_reserved`: stock for every item is held.
    InventoryReserved,
    /// `ORDER.payment_captured`: the provider charged the customer.
    PaymentCaptured,
    /// `ORDER.payment_declined`: the payment step failed for good.
    PaymentDeclined,
    /// `ORDER.inventory_released`: held stock was returned.
    InventoryReleased,
    /// `ORDER.completed`: terminal success.
    Completed,
    /// `ORDER.failed`: terminal failure.
    Failed,
    /// `ORDER.replayed`: an operator re-drove a dead-lettered order (an
    /// `OrderCreated` payload; not a new order).
    Replayed,
}

impl EventKind {
    /// Every kind, in the order of a complete order's life (replay last).
    pub const ALL: [EventKind; 8] = [
        Self::Created,
        Self::InventoryReserved,
        Self::PaymentCaptured,
        Self::PaymentDeclined,
        Self::InventoryReleased,
        Self::Completed,
        Self::Failed,
        Self::Replayed,
    ];

    /// The subject suffix, e.g. `inventory_reserved`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::InventoryReserved => "inventory_reserved",
            Self::PaymentCaptured => "payment_captured",
            Self::PaymentDeclined => "payment_declined",
            Self::InventoryReleased => "inventory_released",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Replayed => "replayed",
        }
    }

    /// The kind named `name` (a subject suffix).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The subject, e.g. `ORDER.completed`.
    pub fn subject(self) -> String {
        format!("ORDER.{}", self.name())
    }

    /// The kind of an `ORDER.<name>` subject.
    pub fn from_subject(subject: &str) -> Option<Self> {
        subject.strip_prefix("ORDER.").and_then(Self::from_name)
    }

    /// Whether the event ends the order (`completed`, `failed`).
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed)
    }
}

/// A decoded event payload.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// `ORDER.created` (and `ORDER.replayed`).
    Created(v1::OrderCreated),
    /// `ORDER.inventory_reserved`.
    InventoryReserved(v1::InventoryReserved),
    /// `ORDER.payment_captured`.
    PaymentCaptured(v1::PaymentCaptured),
    /// `ORDER.payment_declined`.
    PaymentDeclined(v1::PaymentDeclined),
    /// `ORDER.inventory_released`.
    InventoryReleased(v1::InventoryReleased),
    /// `ORDER.completed`.
    Completed(v1::OrderCompleted),
    /// `ORDER.failed`.
    Failed(v1::OrderFailed),
}

impl Event {
    /// Decodes `payload` as the message `kind` carries.
    pub fn decode(kind: EventKind, payload: &[u8]) -> Result<Self, prost::DecodeError> {
        Ok(match kind {
            EventKind::Created | EventKind::Replayed => Self::Created(v1::OrderCreated::decode(payload)?),
            EventKind::InventoryReserved => Self::InventoryReserved(v1::InventoryReserved::decode(payload)?),
            EventKind::PaymentCaptured => Self::PaymentCaptured(v1::PaymentCaptured::decode(payload)?),
            EventKind::PaymentDeclined => Self::PaymentDeclined(v1::PaymentDeclined::decode(payload)?),
            EventKind::InventoryReleased => Self::InventoryReleased(v1::InventoryReleased::decode(payload)?),
            EventKind::Completed => Self::Completed(v1::OrderCompleted::decode(payload)?),
            EventKind::Failed => Self::Failed(v1::OrderFailed::decode(payload)?),
        })
    }

    /// The order the event is about.
    pub fn order_id(&self) -> &str {
        match self {
            Self::Created(e) => &e.order_id,
            Self::InventoryReserved(e) => &e.order_id,
            Self::PaymentCaptured(e) => &e.order_id,
            Self::PaymentDeclined(e) => &e.order_id,
            Self::InventoryReleased(e) => &e.order_id,
            Self::Completed(e) => &e.order_id,
            Self::Failed(e) => &e.order_id,
        }
    }

    /// The customer who placed the order.
    pub fn customer_id(&self) -> &str {
        match self {
            Self::Created(e) => &e.customer_id,
            Self::InventoryReserved(e) => &e.customer_id,
            Self::PaymentCaptured(e) => &e.customer_id,
            Self::PaymentDeclined(e) => &e.customer_id,
            Self::InventoryReleased(e) => &e.customer_id,
            Self::Completed(e) => &e.customer_id,
            Self::Failed(e) => &e.customer_id,
        }
    }

    /// The order's total (for `PaymentCaptured`: the amount charged, which
    /// is the total).
    pub fn total(&self) -> Option<&v1::Money> {
        match self {
            Self::Created(e) => e.total.as_ref(),
            Self::InventoryReserved(e) => e.total.as_ref(),
            Self::PaymentCaptured(e) => e.amount.as_ref(),
            Self::PaymentDeclined(e) => e.total.as_ref(),
            Self::InventoryReleased(e) => e.total.as_ref(),
            Self::Completed(e) => e.total.as_ref(),
            Self::Failed(e) => e.total.as_ref(),
        }
    }

    /// When the step the event announces happened.
    pub fn occurred_at(&self) -> Option<&prost_types::Timestamp> {
        match self {
            Self::Created(e) => e.occurred_at.as_ref(),
            Self::InventoryReserved(e) => e.occurred_at.as_ref(),
            Self::PaymentCaptured(e) => e.occurred_at.as_ref(),
            Self::PaymentDeclined(e) => e.occurred_at.as_ref(),
            Self::InventoryReleased(e) => e.occurred_at.as_ref(),
            Self::Completed(e) => e.occurred_at.as_ref(),
            Self::Failed(e) => e.occurred_at.as_ref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_round_trip() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::from_subject(&kind.subject()), Some(kind));
        }
        assert_eq!(EventKind::from_subject("ORDER.nope"), None);
        assert_eq!(EventKind::from_subject("DLQ.ORDER.created"), None);
    }
}
