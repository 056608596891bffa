//! Taking and recording payment claims in the `payments` bucket (see
//! `domain::payment` for the state machine). KV errors are transient
//! payment errors: the saga retries later, never declines.

use std::time::Duration;
use time::OffsetDateTime;

use super::{PaymentError, PaymentOutcome};
use crate::bridge::{BridgeError, JsonKv, Versioned};
use crate::domain::{ClaimDecision, PaymentRecord, PaymentState};

const MAX_CAS_ATTEMPTS: usize = 8;

/// The result of trying to claim an order's payment.
#[derive(Debug)]
pub(super) enum Claim {
    /// Already decided earlier: this is the outcome; do not call.
    Done(PaymentOutcome),
    /// We hold the claim at this revision: call the provider.
    Held(Versioned<PaymentRecord>),
}

fn unavailable(e: BridgeError) -> PaymentError {
    PaymentError::Transient(format!("payment claim store: {e}"))
}

pub(super) async fn take(payments: &JsonKv<PaymentRecord>, key: &str, lease: Duration) -> Result<Claim, PaymentError> {
    let lease = time::Duration::try_from(lease).unwrap_or(time::Duration::MINUTE);
    // First attempt for this order (the common case): claim without reading.
    let first = PaymentRecord::claimed(uuid::Uuid::now_v7().simple().to_string(), 1, OffsetDateTime::now_utc());
    match payments.create(key, &first).await {
        Ok(revision) => return Ok(Claim::Held(Versioned { value: first, revision })),
        Err(BridgeError::AlreadyExists { .. }) => {}
        Err(e) => return Err(unavailable(e)),
    }
    for _ in 0..MAX_CAS_ATTEMPTS {
        let current = payments.get(key).await.map_err(unavailable)?;
        let now = OffsetDateTime::now_utc();
        match PaymentRecord::decide(current.as_ref().map(|c| &c.value), lease, now) {
            ClaimDecision::Done(record) => return Ok(Claim::Done(outcome_of(record))),
            ClaimDecision::Busy => {
                return Err(PaymentError::Transient(format!("payment of {key} is in progress in another attempt")));
            }
            ClaimDecision::Take => {}
        }
        let attempts = current.as_ref().map_or(0, |c| c.value.attempts) + 1;
        let record = PaymentRecord::claimed(uuid::Uuid::now_v7().simple().to_string(), attempts, now);
        let written = match &current {
            None => payments.create(key, &record).await,
            Some(c) => payments.update(key, &record, c.revision).await,
        };
        match written {
            Ok(revision) => {
                return Ok(Claim::Held(Versioned { value: record, revision }));
            }
            Err(BridgeError::Conflict { .. } | BridgeError::AlreadyExists { .. }) => continue,
            Err(e) => return Err(unavailable(e)),
        }
    }
    Err(PaymentError::Transient(format!("too much contention on the payment claim of {key}")))
}

/// Records the call's outcome over our claim. A failure to record is
/// logged: the next attempt re-asks the provider with the same key.
pub(super) async fn record(
    payments: &JsonKv<PaymentRecord>,
    key: &str,
    held: Versioned<PaymentRecord>,
    result: &Result<PaymentOutcome, PaymentError>,
) {
    let mut record = held.value;
    record.updated_at = OffsetDateTime::now_utc();
    match result {
        Ok(PaymentOutcome::Captured { charge_id }) => {
            record.state = PaymentState::Captured;
            record.charge_id = Some(charge_id.clone());
        }
        Ok(PaymentOutcome::Declined { reason }) => {
            record.state = PaymentState::Declined;
            record.reason = Some(reason.clone());
        }
        Err(e) => {
            record.state = PaymentState::Unknown;
            record.reason = Some(e.to_string());
        }
    }
    if let Err(e) = payments.update(key, &record, held.revision).await {
        tracing::warn!(order_id = key, error = %e, "payment outcome not recorded; a retry will ask the provider again with the same key");
    }
}

fn outcome_of(record: PaymentRecord) -> PaymentOutcome {
    match record.state {
        PaymentState::Declined => PaymentOutcome::Declined { reason: record.reason.unwrap_or_default() },
        _ => PaymentOutcome::Captured { charge_id: record.charge_id.unwrap_or_default() },
    }
}
