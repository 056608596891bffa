//! The order aggregate as stored in the `orders` KV bucket, and its status
//! history. Changes go through [`Order::advance`], which enforces the status
//! machine, so a stored order can never hold an impossible history.

use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;

use super::{Currency, FailureReason, OrderStatus, PaymentRecord, StockStep, TransitionError};

/// Order identifier: a UUIDv7 (time-ordered), rendered lower-case hyphenated.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderId(String);

impl OrderId {
    pub fn generate() -> Self {
        Self::from_uuid(uuid::Uuid::now_v7())
    }

    pub(super) fn from_uuid(uuid: uuid::Uuid) -> Self {
        Self(uuid.to_string())
    }

    /// Accepts only canonical UUID text, so ids are safe as KV keys and
    /// NATS header values.
    pub fn parse(text: &str) -> Option<Self> {
        let uuid = uuid::Uuid::parse_str(text).ok()?;
        let canonical = uuid.to_string();
        (canonical == text).then_some(Self(canonical))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderItem {
    pub sku: String,
    pub quantity: u32,
    pub unit_price_minor: i64,
}

/// One entry of an order's status history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StatusChange {
    pub status: OrderStatus,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The order record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub order_id: OrderId,
    pub customer_id: String,
    pub items: Vec<OrderItem>,
    pub total_minor: i64,
    pub currency: Currency,
    /// Provider token (never card data): only here, never on the bus or in
    /// the public API, and only until the payment step is settled (cleared
    /// by the write that records its outcome; empty = none).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub payment_token: String,
    pub status: OrderStatus,
    pub failure_reason: Option<FailureReason>,
    pub charge_id: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub history: Vec<StatusChange>,
    /// Whether the events of the current status are known to be published
    /// (set after the terminal events; see the saga).
    #[serde(default)]
    pub events_published: bool,
    /// Events published for this order with their stream sequences.
    #[serde(default)]
    pub events: Vec<EventRef>,
    /// Trace id of the request that created the order (for trace links).
    #[serde(default)]
    pub trace_id: Option<String>,
    /// Highest JetStream delivery count seen for this order's saga message.
    #[serde(default)]
    pub deliveries: i64,
    /// A second run of the saga started (redelivery or replay): stock
    /// changes then leave fences (see `domain::stock`).
    #[serde(default)]
    pub contested: bool,
    /// The payment claim: which attempt may call the provider, and how the
    /// last call ended (see `domain::payment`). Taken with the write that
    /// records `STOCK_RESERVED`; the outcome is recorded with the status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<PaymentRecord>,
    /// For an order placed with an Idempotency-Key (its id derived from the
    /// key): the fingerprint of the request body (see `domain::idempotency`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency: Option<String>,
}

/// An event of this order in the `ORDERS` stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRef {
    pub event: String,
    pub sequence: u64,
}

/// What the saga learned in a step, applied with [`Order::advance`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Reserved,
    OutOfStock {
        detail: String,
    },
    /// A permanent store error before payment: the order fails cleanly.
    Rejected {
        detail: String,
    },
    Captured {
        charge_id: String,
    },
    Declined {
        detail: String,
    },
    /// No payment token to charge (see [`FailureReason::PaymentTokenMissing`]).
    NoPaymentToken,
    Completed,
    Released,
}

impl Order {
    /// The stock step whose outcome this record shows, so that the SKUs'
    /// journal entries of that step are no longer needed (see
    /// `domain::stock`); `None` when no entry may go. A no-token failure
    /// from `PENDING` held nothing: its confirmation finds no entry.
    pub fn stock_step_shown(&self) -> Option<StockStep> {
        match (self.status, self.failure_reason) {
            (OrderStatus::StockReserved | OrderStatus::PaymentCaptured | OrderStatus::Compensating, _) => {
                Some(StockStep::Reserved)
            }
            (OrderStatus::Completed, _) => Some(StockStep::Committed),
            (OrderStatus::Failed, Some(FailureReason::PaymentDeclined | FailureReason::PaymentTokenMissing)) => {
                Some(StockStep::Released)
            }
            (OrderStatus::Pending | OrderStatus::Failed, _) => None,
        }
    }

    /// A new `PENDING` order.
    pub fn pending(
        order_id: OrderId,
        customer_id: String,
        items: Vec<OrderItem>,
        currency: Currency,
        payment_token: String,
        created_at: OffsetDateTime,
    ) -> Self {
        let total_minor = items
            .iter()
            .map(|i| i.unit_price_minor.saturating_mul(i64::from(i.quantity)))
            .fold(0i64, i64::saturating_add);
        Self {
            order_id,
            customer_id,
            items,
            total_minor,
            currency,
            payment_token,
            status: OrderStatus::Pending,
            failure_reason: None,
            charge_id: None,
            created_at,
            updated_at: created_at,
            history: vec![StatusChange { status: OrderStatus::Pending, at: created_at, detail: None }],
            events_published: false,
            events: Vec::new(),
            trace_id: None,
            deliveries: 0,
            contested: false,
            payment: None,
            idempotency: None,
        }
    }

    /// Remembers that `event` was stored at `sequence` (once per event).
    pub fn record_event(&mut self, event: &str, sequence: u64) {
        if !self.events.iter().any(|e| e.event == event) {
            // Exact growth here and in the history: an order has a handful of
            // each, and thousands of orders are held at once (doubling left
            // about half of both lists empty).
            self.events.reserve_exact(1);
            self.events.push(EventRef { event: event.to_string(), sequence });
        }
    }

    /// Applies a step's outcome, moving to the next status.
    pub fn advance(&mut self, outcome: Outcome, now: OffsetDateTime) -> Result<(), TransitionError> {
        let (next, detail) = match outcome {
            Outcome::Reserved => (OrderStatus::StockReserved, None),
            Outcome::OutOfStock { detail } => {
                self.failure_reason = Some(FailureReason::OutOfStock);
                (OrderStatus::Failed, Some(detail))
            }
            Outcome::Rejected { detail } => {
                self.failure_reason = Some(FailureReason::Rejected);
                (OrderStatus::Failed, Some(detail))
            }
            Outcome::Captured { charge_id } => {
                self.charge_id = Some(charge_id);
                self.payment_token.clear();
                (OrderStatus::PaymentCaptured, None)
            }
            Outcome::Declined { detail } => {
                self.failure_reason = Some(FailureReason::PaymentDeclined);
                self.payment_token.clear();
                (OrderStatus::Compensating, Some(detail))
            }
            Outcome::NoPaymentToken => {
                self.failure_reason = Some(FailureReason::PaymentTokenMissing);
                let next =
                    if self.status == OrderStatus::Pending { OrderStatus::Failed } else { OrderStatus::Compensating };
                (next, Some("no payment token in the order record".to_string()))
            }
            Outcome::Completed => (OrderStatus::Completed, None),
            Outcome::Released => (OrderStatus::Failed, None),
        };
        if !self.status.can_become(next) {
            return Err(TransitionError { from: self.status, to: next });
        }
        self.status = next;
        self.updated_at = now;
        self.events_published = false;
        self.history.reserve_exact(1);
        self.history.push(StatusChange { status: next, at: now, detail });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Order {
        let items = vec![
            OrderItem { sku: "A".into(), quantity: 2, unit_price_minor: 1999 },
            OrderItem { sku: "B".into(), quantity: 1, unit_price_minor: 500 },
        ];
        let now = OffsetDateTime::UNIX_EPOCH;
        Order::pending(OrderId::generate(), "c".into(), items, Currency::default(), "tok".into(), now)
    }

    #[test]
    fn the_stock_step_shown_follows_the_status_and_the_failure_reason() {
        let t = OffsetDateTime::UNIX_EPOCH;
        let mut o = order();
        assert_eq!(o.stock_step_shown(), None, "PENDING has not reserved yet");
        o.advance(Outcome::Reserved, t).expect("reserve");
        assert_eq!(o.stock_step_shown(), Some(StockStep::Reserved));
        let mut declined = o.clone();
        o.advance(Outcome::Captured { charge_id: "ch".into() }, t).expect("capture");
        o.advance(Outcome::Completed, t).expect("complete");
        assert_eq!(o.stock_step_shown(), Some(StockStep::Committed));
        declined.advance(Outcome::Declined { detail: "no".into() }, t).expect("decline");
        declined.advance(Outcome::Released, t).expect("release");
        assert_eq!(declined.stock_step_shown(), Some(StockStep::Released));
        let mut short = order();
        short.advance(Outcome::OutOfStock { detail: "A".into() }, t).expect("short");
        assert_eq!(short.stock_step_shown(), None, "an order that held nothing shows no step");
    }

    #[test]
    fn total_is_the_sum_of_lines_in_minor_units() {
        assert_eq!(order().total_minor, 2 * 1999 + 500);
    }

    #[test]
    fn given_reserved_order_when_captured_then_charge_is_recorded() {
        let mut o = order();
        o.advance(Outcome::Reserved, OffsetDateTime::UNIX_EPOCH).expect("reserve");
        o.advance(Outcome::Captured { charge_id: "ch_1".into() }, OffsetDateTime::UNIX_EPOCH).expect("capture");
        assert_eq!(o.status, OrderStatus::PaymentCaptured);
        assert_eq!(o.charge_id.as_deref(), Some("ch_1"));
        assert_eq!(o.history.len(), 3);
    }

    #[test]
    fn given_pending_order_when_out_of_stock_then_failed_with_reason() {
        let mut o = order();
        o.advance(Outcome::OutOfStock { detail: "A".into() }, OffsetDateTime::UNIX_EPOCH).expect("fail");
        assert_eq!(o.status, OrderStatus::Failed);
        assert_eq!(o.failure_reason, Some(FailureReason::OutOfStock));
    }

    #[test]
    fn given_pending_order_when_rejected_then_failed_with_reason_and_detail() {
        let mut o = order();
        o.advance(Outcome::Rejected { detail: "corrupt".into() }, OffsetDateTime::UNIX_EPOCH).expect("fail");
        assert_eq!((o.status, o.failure_reason), (OrderStatus::Failed, Some(FailureReason::Rejected)));
        assert_eq!(o.history.last().and_then(|h| h.detail.as_deref()), Some("corrupt"));
    }

    #[test]
    fn given_declined_order_when_released_then_failed_payment_declined() {
        let mut o = order();
        o.advance(Outcome::Reserved, OffsetDateTime::UNIX_EPOCH).expect("reserve");
        o.advance(Outcome::Declined { detail: "card".into() }, OffsetDateTime::UNIX_EPOCH).expect("decline");
        o.advance(Outcome::Released, OffsetDateTime::UNIX_EPOCH).expect("release");
        assert_eq!((o.status, o.failure_reason), (OrderStatus::Failed, Some(FailureReason::PaymentDeclined)));
    }

    #[test]
    fn given_reserved_order_when_payment_settles_then_the_token_is_cleared() {
        for outcome in [Outcome::Captured { charge_id: "ch_1".into() }, Outcome::Declined { detail: "card".into() }] {
            let mut o = order();
            o.advance(Outcome::Reserved, OffsetDateTime::UNIX_EPOCH).expect("reserve");
            assert_eq!(o.payment_token, "tok");
            o.advance(outcome, OffsetDateTime::UNIX_EPOCH).expect("settle");
            assert!(o.payment_token.is_empty());
            assert!(!serde_json::to_string(&o).expect("json").contains("payment_token"));
        }
    }

    #[test]
    fn given_an_order_without_token_when_no_token_then_it_fails_without_holding_stock() {
        let mut pending = order();
        pending.advance(Outcome::NoPaymentToken, OffsetDateTime::UNIX_EPOCH).expect("fail");
        assert_eq!(
            (pending.status, pending.failure_reason),
            (OrderStatus::Failed, Some(FailureReason::PaymentTokenMissing))
        );
        let mut reserved = order();
        reserved.advance(Outcome::Reserved, OffsetDateTime::UNIX_EPOCH).expect("reserve");
        reserved.advance(Outcome::NoPaymentToken, OffsetDateTime::UNIX_EPOCH).expect("refuse");
        assert_eq!(reserved.status, OrderStatus::Compensating);
        reserved.advance(Outcome::Released, OffsetDateTime::UNIX_EPOCH).expect("release");
        assert_eq!(reserved.failure_reason, Some(FailureReason::PaymentTokenMissing));
    }

    #[test]
    fn given_pending_order_when_completed_directly_then_rejected() {
        let mut o = order();
        let err = o.advance(Outcome::Completed, OffsetDateTime::UNIX_EPOCH).expect_err("skip");
        assert_eq!(err.from, OrderStatus::Pending);
        assert_eq!(o.status, OrderStatus::Pending);
    }

    #[test]
    fn order_ids_must_be_canonical_uuids() {
        let id = OrderId::generate();
        assert_eq!(OrderId::parse(id.as_str()), Some(id.clone()));
        assert!(OrderId::parse("../etc").is_none());
        assert!(OrderId::parse(&id.as_str().to_uppercase()).is_none());
    }
}
