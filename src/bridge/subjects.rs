//! Every stream, subject, bucket and consumer name, built in one place.
//! These names are part of the external contract (README "Events").

use crate::contracts::EventKind;

/// The stream holding every order event.
pub const STREAM: &str = "ORDERS";
/// Subjects captured by [`STREAM`].
pub const STREAM_SUBJECTS: &str = "ORDER.*";
/// Durable pull consumer that drives sagas from `ORDER.created`.
pub const SAGA_CONSUMER: &str = "order-saga";
/// KV bucket: order records by order id.
pub const ORDERS_BUCKET: &str = "orders";
/// KV bucket: stock records by SKU.
pub const INVENTORY_BUCKET: &str = "inventory";

/// Re-drive of a dead-lettered saga (same `OrderCreated` payload): not a
/// new order; consumed by the saga consumer like `ORDER.created`.
pub const REPLAY: &str = "ORDER.replayed";
/// Stream of messages that could not be processed.
pub const DLQ_STREAM: &str = "DEAD_LETTERS";
/// Subjects captured by [`DLQ_STREAM`]: `DLQ.<original subject>`.
pub const DLQ_SUBJECTS: &str = "DLQ.>";

/// `DLQ.<original subject>`.
pub fn dead_letter(original: &str) -> String {
    format!("DLQ.{original}")
}

/// `ORDER.<kind>`, e.g. `ORDER.created`.
pub fn event(kind: EventKind) -> String {
    format!("ORDER.{}", kind.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_subjects_match_the_contract() {
        assert_eq!(event(EventKind::Created), "ORDER.created");
        assert_eq!(event(EventKind::InventoryReleased), "ORDER.inventory_released");
    }
}
