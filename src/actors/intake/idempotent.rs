//! Placing an order under an `Idempotency-Key`.
//!
//! 1. Claim the key with create-if-absent: `{order_id, fingerprint, pending}`.
//! 2. Publish `ORDER.created` with `Nats-Msg-Id = <order_id>:created`.
//! 3. Answer, and mark the claim `accepted` in the background (the mark
//!    only saves a repeat its re-publish, so the caller does not wait).
//!
//! A repeat (sequential or concurrent, on any replica, after a restart)
//! finds the claim: another body → `KeyReused`; `accepted` → same order id;
//! `pending` → re-publish the same event (JetStream drops it as a duplicate
//! if the first publish landed) and mark it accepted. Only a PubAck proves
//! the event exists: an order record alone does not (intake writes it while
//! publishing, and a crash can leave it without its event). Claims are kept
//! for 7 days, independent of the stream's 2-minute duplicate window; a
//! re-publish after that window stores a second `ORDER.created` for the
//! same order, which the saga treats as a re-run (see `order::saga`).

use time::OffsetDateTime;

use super::actor::{IntakeDeps, IntakeError, Placement, accept, new_order};
use crate::bridge::{BridgeError, JsonKv, Versioned};
use crate::domain::{IdempotencyRecord, IdempotencyState, OrderId, ValidOrder, fingerprint, idempotency_kv_key};

pub(super) async fn place(deps: &IntakeDeps, order: ValidOrder, key: &str) -> Result<Placement, IntakeError> {
    let kv_key = idempotency_kv_key(key);
    let claim = IdempotencyRecord {
        order_id: OrderId::generate(),
        fingerprint: fingerprint(&order),
        state: IdempotencyState::Pending,
        created_at: OffsetDateTime::now_utc(),
    };
    match deps.idempotency.create(&kv_key, &claim).await {
        Ok(revision) => {
            let order_id = claim.order_id.clone();
            publish_claim(deps, order, Versioned { value: claim, revision }, &kv_key).await?;
            Ok(Placement { order_id, created: true })
        }
        Err(BridgeError::AlreadyExists { .. }) => repeat(deps, order, &kv_key, &claim.fingerprint).await,
        Err(e) => Err(e.into()),
    }
}

async fn repeat(
    deps: &IntakeDeps,
    order: ValidOrder,
    kv_key: &str,
    fingerprint: &str,
) -> Result<Placement, IntakeError> {
    let existing = deps
        .idempotency
        .get(kv_key)
        .await?
        .ok_or_else(|| IntakeError::Unavailable("idempotency claim expired while reading; retry".into()))?;
    if existing.value.fingerprint != fingerprint {
        return Err(IntakeError::KeyReused);
    }
    let order_id = existing.value.order_id.clone();
    if existing.value.state == IdempotencyState::Pending {
        // The first request may still be publishing, may have failed, or
        // may have crashed after writing the order record: re-publish.
        publish_claim(deps, order, existing, kv_key).await?;
    }
    Ok(Placement { order_id, created: false })
}

/// Publishes the claimed order and marks the claim accepted. Returns
/// whether this call stored the event (false = it was already there).
async fn publish_claim(
    deps: &IntakeDeps,
    order: ValidOrder,
    claim: Versioned<IdempotencyRecord>,
    kv_key: &str,
) -> Result<bool, IntakeError> {
    let record = new_order(claim.value.order_id.clone(), order, claim.value.created_at);
    let stored = accept(deps, record).await?;
    actix::spawn(mark_accepted(deps.idempotency.clone(), claim, kv_key.to_string()));
    Ok(stored)
}

async fn mark_accepted(claims: JsonKv<IdempotencyRecord>, claim: Versioned<IdempotencyRecord>, kv_key: String) {
    let mut accepted = claim.value;
    accepted.state = IdempotencyState::Accepted;
    match claims.update(&kv_key, &accepted, claim.revision).await {
        // Conflict: a concurrent repeat marked it first — same outcome.
        Ok(_) | Err(BridgeError::Conflict { .. }) => {}
        Err(e) => {
            tracing::warn!(error = %e, "idempotency claim not marked accepted; a repeat will re-publish (deduplicated)")
        }
    }
}
