//! The payment claim, kept in the order record (`Order::payment`): it
//! makes a capture happen at most once per order across redeliveries,
//! replicas and paused processes. The saga takes it with the same
//! compare-and-set write that records `STOCK_RESERVED`, and records the
//! outcome with the write of the next status, so it costs no write of its
//! own.
//!
//! ```text
//! (absent) ─create─► CLAIMED ─► CAPTURED | DECLINED   (final: never call again)
//!                       │
//!                       └─► UNKNOWN (call failed, outcome unknown) ─► CLAIMED …
//! ```
//! A CLAIMED record older than its lease is taken over (the holder is
//! presumed dead or paused); the provider's Idempotency-Key (the order id)
//! still prevents a second charge if the holder wakes up.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentState {
    /// A call to the provider is in progress under this claim.
    Claimed,
    /// The last call ended without a definite answer; retry with the same key.
    Unknown,
    Captured,
    Declined,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    pub state: PaymentState,
    /// Random token of the attempt holding the claim.
    pub claim: String,
    pub attempts: u32,
    pub charge_id: Option<String>,
    pub reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// What a runner may do given the current record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimDecision {
    /// Final outcome already recorded: do not call the provider.
    Done(PaymentRecord),
    /// Take the claim (create or CAS over the existing record) and call.
    Take,
    /// Another attempt holds a live claim: try later.
    Busy,
}

impl PaymentRecord {
    pub fn claimed(claim: String, attempts: u32, now: OffsetDateTime) -> Self {
        Self { state: PaymentState::Claimed, claim, attempts, charge_id: None, reason: None, updated_at: now }
    }

    /// Decides what an attempt may do with `current` (None = no record).
    pub fn decide(current: Option<&PaymentRecord>, lease: Duration, now: OffsetDateTime) -> ClaimDecision {
        match current {
            None => ClaimDecision::Take,
            Some(r) if matches!(r.state, PaymentState::Captured | PaymentState::Declined) => {
                ClaimDecision::Done(r.clone())
            }
            Some(r) if r.state == PaymentState::Unknown => ClaimDecision::Take,
            Some(r) if now - r.updated_at > lease => ClaimDecision::Take,
            Some(_) => ClaimDecision::Busy,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::seconds(secs)
    }

    #[test]
    fn no_record_means_take_the_claim() {
        assert_eq!(PaymentRecord::decide(None, Duration::seconds(30), at(0)), ClaimDecision::Take);
    }

    #[test]
    fn a_recorded_capture_is_never_called_again() {
        let mut r = PaymentRecord::claimed("a".into(), 1, at(0));
        r.state = PaymentState::Captured;
        assert!(matches!(PaymentRecord::decide(Some(&r), Duration::seconds(30), at(999)), ClaimDecision::Done(_)));
    }

    #[test]
    fn a_live_claim_blocks_and_a_stale_one_is_taken_over() {
        let r = PaymentRecord::claimed("a".into(), 1, at(0));
        assert_eq!(PaymentRecord::decide(Some(&r), Duration::seconds(30), at(10)), ClaimDecision::Busy);
        assert_eq!(PaymentRecord::decide(Some(&r), Duration::seconds(30), at(31)), ClaimDecision::Take);
    }

    #[test]
    fn an_unknown_outcome_may_be_retried_at_once() {
        let mut r = PaymentRecord::claimed("a".into(), 1, at(0));
        r.state = PaymentState::Unknown;
        assert_eq!(PaymentRecord::decide(Some(&r), Duration::seconds(30), at(1)), ClaimDecision::Take);
    }
}
