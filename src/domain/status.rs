//! The order status machine: which status may follow which.
//!
//! ```text
//! PENDING ─► STOCK_RESERVED ─► PAYMENT_CAPTURED ─► COMPLETED
//!    │              └────────► COMPENSATING ─────► FAILED
//!    └──────────────────────────────────────────► FAILED
//! ```
//! Terminal statuses are exactly `COMPLETED` and `FAILED`.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Accepted (ORDER.created acknowledged); nothing reserved yet.
    Pending,
    /// Stock for every item is held for this order.
    StockReserved,
    /// The provider charged the customer; completion is being recorded.
    PaymentCaptured,
    /// Payment was declined; held stock is being released.
    Compensating,
    Completed,
    Failed,
}

/// Why an order ended `FAILED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FailureReason {
    /// At least one SKU had less available stock than ordered (or no record).
    OutOfStock,
    /// The payment provider refused the charge.
    PaymentDeclined,
    /// A store refused the order's data for good (a permanent broker
    /// rejection or an unreadable stock record), before any payment.
    Rejected,
    /// The order record held no payment token at the payment step (its
    /// write failed at intake, which answered 503): nothing was charged.
    PaymentTokenMissing,
}

/// A transition the status machine forbids.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("order status cannot go from {from} to {to}")]
pub struct TransitionError {
    pub from: OrderStatus,
    pub to: OrderStatus,
}

impl OrderStatus {
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed)
    }

    /// Whether the saga step from `self` has a single possible outcome (its
    /// events may then be published before the outcome is recorded: no
    /// later run can contradict them).
    pub fn has_single_outcome(self) -> bool {
        matches!(self, Self::PaymentCaptured | Self::Compensating)
    }

    /// Whether the step run from this status changes stock (reserve,
    /// commit or release).
    pub fn changes_stock(self) -> bool {
        matches!(self, Self::Pending | Self::PaymentCaptured | Self::Compensating)
    }

    /// Whether `next` may directly follow `self`.
    pub fn can_become(self, next: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, next),
            (Pending, StockReserved)
                | (Pending, Failed)
                | (StockReserved, PaymentCaptured)
                | (StockReserved, Compensating)
                | (PaymentCaptured, Completed)
                | (Compensating, Failed)
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::StockReserved => "STOCK_RESERVED",
            Self::PaymentCaptured => "PAYMENT_CAPTURED",
            Self::Compensating => "COMPENSATING",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FailureReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OutOfStock => "OUT_OF_STOCK",
            Self::PaymentDeclined => "PAYMENT_DECLINED",
            Self::Rejected => "REJECTED",
            Self::PaymentTokenMissing => "PAYMENT_TOKEN_MISSING",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "OUT_OF_STOCK" => Some(Self::OutOfStock),
            "PAYMENT_DECLINED" => Some(Self::PaymentDeclined),
            "REJECTED" => Some(Self::Rejected),
            "PAYMENT_TOKEN_MISSING" => Some(Self::PaymentTokenMissing),
            _ => None,
        }
    }
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;

    #[test]
    fn happy_path_transitions_are_allowed() {
        assert!(Pending.can_become(StockReserved));
        assert!(StockReserved.can_become(PaymentCaptured));
        assert!(PaymentCaptured.can_become(Completed));
    }

    #[test]
    fn terminal_statuses_never_change() {
        for next in [Pending, StockReserved, PaymentCaptured, Compensating, Completed, Failed] {
            assert!(!Completed.can_become(next));
            assert!(!Failed.can_become(next));
        }
    }

    #[test]
    fn a_captured_payment_cannot_fail_the_order() {
        assert!(!PaymentCaptured.can_become(Failed));
        assert!(!PaymentCaptured.can_become(Compensating));
    }

    #[test]
    fn only_completed_and_failed_are_terminal() {
        let terminal: Vec<_> = [Pending, StockReserved, PaymentCaptured, Compensating, Completed, Failed]
            .into_iter()
            .filter(|s| s.is_terminal())
            .collect();
        assert_eq!(terminal, vec![Completed, Failed]);
    }
}
