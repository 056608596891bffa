//! The payment claim in the order record (`Order::payment`, rules in
//! `domain::payment`): which run of an order's saga may call the provider.
//!
//! A run names itself with a random [`ClaimToken`]. The reserve step takes
//! the claim in the same write that records `STOCK_RESERVED`, so the first
//! run holds it without a write of its own. Any other run that reaches the
//! payment step (a redelivery, a replica, a paused process resuming) finds
//! another token: a live claim makes it stop with a transient error (its
//! message comes back later); an expired or `UNKNOWN` one is taken over
//! with a compare-and-set of the order record. The provider's answer is
//! recorded on the claim with the order's next status; a call that ends
//! without an answer marks it `UNKNOWN` (best effort) so the next run need
//! not wait out the lease.

use time::OffsetDateTime;

use super::saga::{SagaDeps, save};
use super::{SagaError, SagaErrorKind};
use crate::actors::payment::PaymentOutcome;
use crate::bridge::Versioned;
use crate::domain::{ClaimDecision, Order, OrderStatus, PaymentRecord, PaymentState};

/// Names one saga run to the payment claim.
pub(super) type ClaimToken = u128;

/// A fresh token for a new run.
pub(super) fn new_token() -> ClaimToken {
    rand::random()
}

fn text(token: ClaimToken) -> String {
    format!("{token:032x}")
}

/// Where [`hold`] left the order.
#[derive(Debug)]
pub(super) enum Claimed {
    /// This run holds the claim: call the provider.
    Held(Versioned<Order>),
    /// Another run recorded the payment meanwhile: carry on from here.
    Moved(Versioned<Order>),
}

/// Makes sure this run holds the claim of an order at `STOCK_RESERVED`,
/// taking it over if it expired.
pub(super) async fn hold(
    deps: &SagaDeps,
    mut current: Versioned<Order>,
    token: ClaimToken,
) -> Result<Claimed, SagaError> {
    let lease = time::Duration::try_from(deps.payment_lease).unwrap_or(time::Duration::MINUTE);
    loop {
        if current.value.status != OrderStatus::StockReserved {
            return Ok(Claimed::Moved(current));
        }
        let now = OffsetDateTime::now_utc();
        let payment = current.value.payment.as_ref();
        if payment.is_some_and(|p| p.claim == text(token) && p.state == PaymentState::Claimed) {
            return Ok(Claimed::Held(current));
        }
        if PaymentRecord::decide(payment, lease, now) == ClaimDecision::Busy {
            let id = &current.value.order_id;
            return Err(SagaError::with_source(
                SagaErrorKind::InProgress,
                format!("payment of {id} is in progress in another attempt"),
            ));
        }
        take(&mut current.value, token, now);
        let (saved, ours) = Box::pin(save(deps, current.value, current.revision)).await?;
        if ours {
            return Ok(Claimed::Held(saved));
        }
        current = saved;
    }
}

/// Puts this run's claim on `order` (saved by the caller's next write).
pub(super) fn take(order: &mut Order, token: ClaimToken, now: OffsetDateTime) {
    let attempts = order.payment.as_ref().map_or(0, |p| p.attempts) + 1;
    order.payment = Some(PaymentRecord::claimed(text(token), attempts, now));
}

/// Records the provider's answer on the claim.
pub(super) fn settle(order: &mut Order, answer: &PaymentOutcome) {
    let Some(claim) = order.payment.as_mut() else { return };
    claim.updated_at = OffsetDateTime::now_utc();
    match answer {
        PaymentOutcome::Captured { charge_id } => {
            claim.state = PaymentState::Captured;
            claim.charge_id = Some(charge_id.clone());
        }
        PaymentOutcome::Declined { reason } => {
            claim.state = PaymentState::Declined;
            claim.reason = Some(reason.clone());
        }
    }
}

/// Marks this run's claim `UNKNOWN`: the call ended without an answer.
pub(super) fn unknown(order: &mut Order, token: ClaimToken, error: &SagaError) {
    let Some(claim) = order.payment.as_mut().filter(|c| c.claim == text(token)) else { return };
    claim.state = PaymentState::Unknown;
    claim.reason = Some(error.to_string());
    claim.updated_at = OffsetDateTime::now_utc();
}
