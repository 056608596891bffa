//! Decoding `ORDER.created` payloads back into a domain order. Payloads come
//! from the network, so every field is checked with the same rules as the
//! HTTP API; a payload that fails is a poison message, not a panic. The
//! event carries no payment token: the decoded order has none (the saga
//! uses the order record's).

use prost::Message as _;
use time::OffsetDateTime;

use super::proto;
use crate::domain::{NewOrder, NewOrderItem, Order, OrderId};

/// Why a payload could not be turned into a domain value.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    #[error("payload is not a valid protobuf message: {0}")]
    Decode(#[from] prost::DecodeError),
    #[error("payload field {field} is invalid: {message}")]
    Invalid { field: String, message: String },
}

fn invalid(field: &str, message: impl Into<String>) -> ContractError {
    ContractError::Invalid { field: field.into(), message: message.into() }
}

/// Decodes and validates an `ORDER.created` payload into a `PENDING` order.
pub fn order_from_created(payload: &[u8]) -> Result<Order, ContractError> {
    let msg = proto::OrderCreated::decode(payload)?;
    let order_id = OrderId::parse(&msg.order_id).ok_or_else(|| invalid("order_id", "not a canonical UUID"))?;
    let total = msg.total.ok_or_else(|| invalid("total", "missing"))?;
    let request = NewOrder {
        customer_id: msg.customer_id,
        items: msg
            .items
            .into_iter()
            .map(|i| NewOrderItem { sku: i.sku, quantity: i64::from(i.quantity), unit_price_minor: i.unit_price_minor })
            .collect(),
        currency: Some(total.currency),
        payment_token: None,
    };
    let valid = request.validate().map_err(|e| invalid(&e.field, e.message))?;
    let occurred_at = msg.occurred_at.ok_or_else(|| invalid("occurred_at", "missing"))?;
    let created_at = datetime(&occurred_at).ok_or_else(|| invalid("occurred_at", "out of range"))?;
    let order = Order::pending(order_id, valid.customer_id, valid.items, valid.currency, String::new(), created_at);
    if order.total_minor != total.amount_minor {
        return Err(invalid("total", "does not equal the sum of the items"));
    }
    Ok(order)
}

fn datetime(at: &prost_types::Timestamp) -> Option<OffsetDateTime> {
    let nanos = i128::from(at.seconds).checked_mul(1_000_000_000)?.checked_add(i128::from(at.nanos))?;
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contracts::OrderEvent;
    use crate::domain::{Currency, OrderItem};

    fn order() -> Order {
        let items = vec![OrderItem { sku: "A".into(), quantity: 2, unit_price_minor: 150 }];
        let now = OffsetDateTime::now_utc().replace_nanosecond(0).expect("valid nanos");
        Order::pending(OrderId::generate(), "c-1".into(), items, Currency::default(), "tok_visa".into(), now)
    }

    #[test]
    fn created_event_round_trips_to_the_same_order_without_its_token() {
        let mut original = order();
        let event = OrderEvent::created(&original);
        assert!(!event.payload.windows(8).any(|w| w == b"tok_visa"), "the token is on the bus");
        original.payment_token.clear();
        assert_eq!(order_from_created(&event.payload).expect("decodes"), original);
    }

    #[test]
    fn garbage_payload_is_a_decode_error() {
        assert!(matches!(order_from_created(&[0xff, 0xff, 0xff]), Err(ContractError::Decode(_))));
    }

    #[test]
    fn a_tampered_total_is_rejected() {
        let mut msg = proto::OrderCreated::decode(OrderEvent::created(&order()).payload.as_slice()).expect("decodes");
        msg.total = Some(proto::Money { amount_minor: 1, currency: "USD".into() });
        let err = order_from_created(&msg.encode_to_vec()).expect_err("tampered");
        assert!(err.to_string().contains("total"));
    }
}
