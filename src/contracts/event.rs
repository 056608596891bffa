//! Order events as published on `ORDER.<kind>`: the kind, the order it is
//! about and its protobuf payload, built from the domain order. Every event
//! carries the order id, the customer, the total and `occurred_at`: the time
//! of the status change it announces, taken from the order's history, so a
//! re-published event carries the same time.

use prost_types::Timestamp;
use time::OffsetDateTime;

use super::EventKind;
use super::proto;
use crate::domain::{FailureReason, Order, OrderItem, OrderStatus};

/// An encoded event ready to publish.
#[derive(Debug, Clone)]
pub struct OrderEvent {
    pub kind: EventKind,
    pub order_id: String,
    pub payload: Vec<u8>,
}

fn items(order: &Order) -> Vec<proto::OrderItem> {
    order.items.iter().map(item).collect()
}

fn item(i: &OrderItem) -> proto::OrderItem {
    proto::OrderItem { sku: i.sku.clone(), quantity: i.quantity, unit_price_minor: i.unit_price_minor }
}

fn total(order: &Order) -> Option<proto::Money> {
    Some(proto::Money { amount_minor: order.total_minor, currency: order.currency.to_string() })
}

/// A protobuf `Timestamp` of `at`.
fn timestamp(at: OffsetDateTime) -> Timestamp {
    let nanos = at.unix_timestamp_nanos();
    let seconds = nanos.div_euclid(1_000_000_000) as i64;
    Timestamp { seconds, nanos: nanos.rem_euclid(1_000_000_000) as i32 }
}

/// When the order last became `status` (its last change if it never did).
fn occurred_at(order: &Order, status: OrderStatus) -> Option<Timestamp> {
    let change = order.history.iter().rev().find(|h| h.status == status);
    Some(timestamp(change.map_or(order.updated_at, |h| h.at)))
}

/// The protobuf failure reason.
fn reason(reason: Option<FailureReason>) -> i32 {
    let reason = match reason {
        None => proto::FailureReason::Unspecified,
        Some(FailureReason::OutOfStock) => proto::FailureReason::OutOfStock,
        Some(FailureReason::PaymentDeclined) => proto::FailureReason::PaymentDeclined,
        Some(FailureReason::PaymentTokenMissing) => proto::FailureReason::PaymentTokenMissing,
        Some(FailureReason::Rejected) => proto::FailureReason::Rejected,
    };
    reason.into()
}

/// The provider's text of a decline (recorded when the order began
/// compensating); empty when the provider did not decline.
fn provider_reason(order: &Order) -> String {
    if order.failure_reason != Some(FailureReason::PaymentDeclined) {
        return String::new();
    }
    let compensating = order.history.iter().rev().find(|h| h.status == OrderStatus::Compensating);
    compensating.and_then(|h| h.detail.clone()).unwrap_or_default()
}

/// Why the order failed, for people.
fn failure_detail(order: &Order) -> String {
    match order.failure_reason {
        Some(FailureReason::PaymentDeclined) => "the payment provider declined the charge".into(),
        _ => order.history.iter().rev().find_map(|h| h.detail.clone()).unwrap_or_default(),
    }
}

impl OrderEvent {
    fn new(kind: EventKind, order: &Order, message: impl prost::Message) -> Self {
        Self { kind, order_id: order.order_id.to_string(), payload: message.encode_to_vec() }
    }

    pub fn created(order: &Order) -> Self {
        let msg = proto::OrderCreated {
            order_id: order.order_id.to_string(),
            customer_id: order.customer_id.clone(),
            items: items(order),
            total: total(order),
            occurred_at: Some(timestamp(order.created_at)),
        };
        Self::new(EventKind::Created, order, msg)
    }

    pub fn inventory_reserved(order: &Order) -> Self {
        let msg = proto::InventoryReserved {
            order_id: order.order_id.to_string(),
            items: items(order),
            customer_id: order.customer_id.clone(),
            total: total(order),
            occurred_at: occurred_at(order, OrderStatus::StockReserved),
        };
        Self::new(EventKind::InventoryReserved, order, msg)
    }

    pub fn payment_captured(order: &Order) -> Self {
        let msg = proto::PaymentCaptured {
            order_id: order.order_id.to_string(),
            charge_id: order.charge_id.clone().unwrap_or_default(),
            amount: total(order),
            customer_id: order.customer_id.clone(),
            occurred_at: occurred_at(order, OrderStatus::PaymentCaptured),
        };
        Self::new(EventKind::PaymentCaptured, order, msg)
    }

    pub fn payment_declined(order: &Order) -> Self {
        let msg = proto::PaymentDeclined {
            order_id: order.order_id.to_string(),
            customer_id: order.customer_id.clone(),
            total: total(order),
            occurred_at: occurred_at(order, OrderStatus::Compensating),
            reason: reason(order.failure_reason),
            provider_reason: provider_reason(order),
        };
        Self::new(EventKind::PaymentDeclined, order, msg)
    }

    pub fn inventory_released(order: &Order) -> Self {
        let msg = proto::InventoryReleased {
            order_id: order.order_id.to_string(),
            items: items(order),
            customer_id: order.customer_id.clone(),
            total: total(order),
            occurred_at: occurred_at(order, OrderStatus::Failed),
        };
        Self::new(EventKind::InventoryReleased, order, msg)
    }

    pub fn completed(order: &Order) -> Self {
        let msg = proto::OrderCompleted {
            order_id: order.order_id.to_string(),
            charge_id: order.charge_id.clone().unwrap_or_default(),
            total: total(order),
            customer_id: order.customer_id.clone(),
            occurred_at: occurred_at(order, OrderStatus::Completed),
        };
        Self::new(EventKind::Completed, order, msg)
    }

    pub fn failed(order: &Order) -> Self {
        let msg = proto::OrderFailed {
            order_id: order.order_id.to_string(),
            detail: failure_detail(order),
            customer_id: order.customer_id.clone(),
            total: total(order),
            occurred_at: occurred_at(order, OrderStatus::Failed),
            reason: reason(order.failure_reason),
            provider_reason: provider_reason(order),
        };
        Self::new(EventKind::Failed, order, msg)
    }

    /// The events that announce the order's current status, in the order
    /// they are published (none for `PENDING`: intake announced it).
    pub fn announcing(order: &Order) -> Vec<Self> {
        let compensated = order.history.iter().any(|h| h.status == OrderStatus::Compensating);
        match order.status {
            OrderStatus::Pending => vec![],
            OrderStatus::StockReserved => vec![Self::inventory_reserved(order)],
            OrderStatus::PaymentCaptured => vec![Self::payment_captured(order)],
            OrderStatus::Compensating => vec![Self::payment_declined(order)],
            OrderStatus::Completed => vec![Self::completed(order)],
            OrderStatus::Failed if compensated => vec![Self::inventory_released(order), Self::failed(order)],
            OrderStatus::Failed => vec![Self::failed(order)],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_keep_nanoseconds_and_handle_times_before_the_epoch() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789).expect("valid time");
        assert_eq!(timestamp(at), Timestamp { seconds: 1_700_000_000, nanos: 123_456_789 });
        let before = OffsetDateTime::from_unix_timestamp_nanos(-1).expect("valid time");
        assert_eq!(timestamp(before), Timestamp { seconds: -1, nanos: 999_999_999 });
    }
}
