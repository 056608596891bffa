//! Order events as published on `ORDER.<kind>`: the kind, the order it is
//! about and its protobuf payload, built from the domain order.

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

impl OrderEvent {
    fn new(kind: EventKind, order: &Order, message: impl prost::Message) -> Self {
        Self { kind, order_id: order.order_id.to_string(), payload: message.encode_to_vec() }
    }

    pub fn created(order: &Order) -> Self {
        let created_at = order.created_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        let msg = proto::OrderCreated {
            order_id: order.order_id.to_string(),
            customer_id: order.customer_id.clone(),
            items: items(order),
            total: total(order),
            payment_token: order.payment_token.clone(),
            created_at,
        };
        Self::new(EventKind::Created, order, msg)
    }

    pub fn inventory_reserved(order: &Order) -> Self {
        let msg = proto::InventoryReserved { order_id: order.order_id.to_string(), items: items(order) };
        Self::new(EventKind::InventoryReserved, order, msg)
    }

    pub fn payment_captured(order: &Order, charge_id: &str) -> Self {
        let msg = proto::PaymentCaptured {
            order_id: order.order_id.to_string(),
            charge_id: charge_id.to_string(),
            amount: total(order),
        };
        Self::new(EventKind::PaymentCaptured, order, msg)
    }

    pub fn payment_declined(order: &Order, reason: &str) -> Self {
        let msg = proto::PaymentDeclined { order_id: order.order_id.to_string(), reason: reason.to_string() };
        Self::new(EventKind::PaymentDeclined, order, msg)
    }

    pub fn inventory_released(order: &Order) -> Self {
        let msg = proto::InventoryReleased { order_id: order.order_id.to_string(), items: items(order) };
        Self::new(EventKind::InventoryReleased, order, msg)
    }

    pub fn completed(order: &Order) -> Self {
        let msg = proto::OrderCompleted {
            order_id: order.order_id.to_string(),
            charge_id: order.charge_id.clone().unwrap_or_default(),
            total: total(order),
        };
        Self::new(EventKind::Completed, order, msg)
    }

    pub fn failed(order: &Order, detail: &str) -> Self {
        let msg = proto::OrderFailed {
            order_id: order.order_id.to_string(),
            reason: order.failure_reason.map(|r| r.as_str().to_string()).unwrap_or_default(),
            detail: detail.to_string(),
        };
        Self::new(EventKind::Failed, order, msg)
    }

    /// The events that announce the order's current status, in the order
    /// they are published (none for `PENDING`: intake announced it).
    pub fn announcing(order: &Order) -> Vec<Self> {
        let detail = order.history.last().and_then(|h| h.detail.clone()).unwrap_or_default();
        match (order.status, order.failure_reason) {
            (OrderStatus::Pending, _) => vec![],
            (OrderStatus::StockReserved, _) => vec![Self::inventory_reserved(order)],
            (OrderStatus::PaymentCaptured, _) => {
                vec![Self::payment_captured(order, order.charge_id.as_deref().unwrap_or_default())]
            }
            (OrderStatus::Compensating, _) => vec![Self::payment_declined(order, &detail)],
            (OrderStatus::Completed, _) => vec![Self::completed(order)],
            (OrderStatus::Failed, Some(FailureReason::PaymentDeclined)) => {
                vec![Self::inventory_released(order), Self::failed(order, &decline_detail(order))]
            }
            (OrderStatus::Failed, _) => vec![Self::failed(order, &detail)],
        }
    }
}

/// Why the payment was declined (recorded when the order began compensating).
fn decline_detail(order: &Order) -> String {
    let compensating = order.history.iter().rev().find(|h| h.status == OrderStatus::Compensating);
    compensating.and_then(|h| h.detail.clone()).unwrap_or_default()
}
