//! Idempotency-Key records: which order a key produced and a fingerprint of
//! the request body, so a repeat with another body can be refused.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::{OrderId, ValidOrder};

/// Whether the `ORDER.created` publish for the key's order was acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdempotencyState {
    /// Claimed; the publish may or may not have reached the stream.
    Pending,
    /// JetStream acknowledged `ORDER.created`.
    Accepted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub order_id: OrderId,
    pub fingerprint: String,
    pub state: IdempotencyState,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// The KV key for a client's Idempotency-Key: its SHA-256, hex (keys may
/// hold any characters; KV keys may not).
pub fn idempotency_kv_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A stable fingerprint of a validated request (field order independent).
pub fn fingerprint(order: &ValidOrder) -> String {
    let mut hasher = Sha256::new();
    let mut feed = |part: &str| {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    };
    feed(&order.customer_id);
    feed(order.currency.as_str());
    feed(&order.payment_token);
    for item in &order.items {
        feed(&item.sku);
        feed(&item.quantity.to_string());
        feed(&item.unit_price_minor.to_string());
    }
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Currency, OrderItem};

    fn order(quantity: u32) -> ValidOrder {
        ValidOrder {
            customer_id: "c".into(),
            items: vec![OrderItem { sku: "A".into(), quantity, unit_price_minor: 5 }],
            currency: Currency::default(),
            payment_token: "tok_visa".into(),
        }
    }

    #[test]
    fn same_request_same_fingerprint_and_different_request_differs() {
        assert_eq!(fingerprint(&order(1)), fingerprint(&order(1)));
        assert_ne!(fingerprint(&order(1)), fingerprint(&order(2)));
    }

    #[test]
    fn kv_keys_are_hex_whatever_the_client_sent() {
        let key = idempotency_kv_key("weird key/with spaces*");
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
