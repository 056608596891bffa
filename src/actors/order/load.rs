//! Loading an order's record for a saga run, and marking it contested when
//! an older run may be alive. Intake writes the record
//! together with `ORDER.created`, so a missing record is waited for (a
//! transient error: the delivery is retried) before the event alone is
//! trusted. The event carries no payment token, so an order whose record
//! never appears fails unpaid (`PAYMENT_TOKEN_MISSING`, see the saga's
//! steps). KV errors are transient or permanent per `BridgeError`.

use std::time::Duration;

use super::saga::save;
use super::{SagaDeps, SagaError, SagaErrorKind};
use crate::bridge::{BridgeErrorKind, Versioned};
use crate::domain::Order;

/// The order record. A found record gets the `ORDER.created` reference
/// from `order` if it lacks it (intake writes its record before it knows
/// the sequence); it is saved with the next write. The flag says the record
/// names another `ORDER.created` message than this one: the event was
/// published twice (a repeat after the duplicate window), so an older run
/// may be alive.
///
/// Intake writes the record together with the event, so a missing record
/// is first waited for (transient: the delivery is retried). After
/// [`RECORD_WAIT_DELIVERIES`] it is created from the event, which carries
/// no payment token: intake answered 503 for this order, and it fails with
/// `PAYMENT_TOKEN_MISSING` without holding stock or charging.
pub(super) async fn load_or_create(
    deps: &SagaDeps,
    order: Box<Order>,
    delivered: i64,
) -> Result<(Versioned<Order>, bool), SagaError> {
    let key = order.order_id.to_string();
    if let Some(mut found) = Box::pin(read_record(deps, &key)).await? {
        let mut duplicate = false;
        if let Some(created) = order.events.into_iter().next() {
            match found.value.events.iter().find(|e| e.event == created.event) {
                Some(recorded) => duplicate = recorded.sequence != created.sequence,
                None => found.value.events.insert(0, created),
            }
        }
        return Ok((found, duplicate));
    }
    if delivered < RECORD_WAIT_DELIVERIES {
        return Err(SagaError::with_source(
            SagaErrorKind::InProgress,
            format!("order {key}: its record is not written yet"),
        ));
    }
    tracing::warn!(order_id = %key, delivered, "no order record: the order was refused at intake; it fails unpaid");
    match deps.orders.create(&key, &order).await {
        Ok(revision) => Ok((Versioned { value: *order, revision }, false)),
        Err(e) if e.kind() == BridgeErrorKind::AlreadyExists => Ok((reload(deps, &key).await?, false)),
        Err(e) => Err(e.into()),
    }
}

/// Deliveries of an `ORDER.created` without its order record before the
/// record is created from the event (delays 1 + 2 + 4 + 8 s in between).
const RECORD_WAIT_DELIVERIES: i64 = 5;

/// Reads the order record, re-reading a missing one briefly: intake's write
/// may land just after its event reaches us.
async fn read_record(deps: &SagaDeps, key: &str) -> Result<Option<Versioned<Order>>, SagaError> {
    for wait_ms in [20, 80, 200] {
        if let Some(found) = deps.orders.get(key).await? {
            return Ok(Some(found));
        }
        tokio::time::sleep(Duration::from_millis(wait_ms)).await;
    }
    Ok(deps.orders.get(key).await?)
}

pub(super) async fn reload(deps: &SagaDeps, key: &str) -> Result<Versioned<Order>, SagaError> {
    deps.orders
        .get(key)
        .await?
        .ok_or_else(|| SagaError::with_source(SagaErrorKind::Unavailable, format!("order {key} vanished")))
}

/// Marks the order contested with a write of its own, so this run's token
/// (the new revision) is newer than any older run's: stock changes of the
/// older run are refused from then on (see `domain::stock`).
pub(super) async fn contest(deps: &SagaDeps, mut current: Versioned<Order>) -> Result<Versioned<Order>, SagaError> {
    while !current.value.status.is_terminal() {
        current.value.contested = true;
        let (saved, ours) = save(deps, current.value, current.revision).await?;
        if ours {
            return Ok(saved);
        }
        current = saved;
    }
    Ok(current)
}
