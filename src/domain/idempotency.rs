//! Idempotency-Keys, merged into the order record: a key names its order
//! (the order id is derived from the key) and the record keeps a
//! fingerprint of the request body, so a repeat finds its order with one
//! read and a repeat with another body can be refused.

use sha2::{Digest, Sha256};

use super::{OrderId, ValidOrder};

/// The order id a client's Idempotency-Key names: a version 8 UUID made
/// from the key's SHA-256 (keys may hold any characters; ids may not).
/// Every replica derives the same id, so the create-if-absent write of the
/// order record is the key's claim.
pub fn order_id_for_key(key: &str) -> OrderId {
    let digest = Sha256::digest(key.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    OrderId::from_uuid(uuid::Builder::from_custom_bytes(bytes).into_uuid())
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
    fn a_key_names_one_canonical_order_id_whatever_the_client_sent() {
        let id = order_id_for_key("weird key/with spaces*");
        assert_eq!(OrderId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(order_id_for_key("weird key/with spaces*"), id);
        assert_ne!(order_id_for_key("another key"), id);
    }
}
