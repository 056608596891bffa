//! Placing an order under an `Idempotency-Key`, the key's claim merged into
//! the order record.
//!
//! The key names its order: the order id is derived from the key
//! (`domain::order_id_for_key`) and the record carries a fingerprint of the
//! request body. The create-if-absent write of the order record is
//! therefore the key's claim, and a repeat finds its order with one read:
//!
//! 1. Create the order record (`PENDING`, with the fingerprint).
//!    Concurrent duplicates race on this write; exactly one wins.
//! 2. Publish `ORDER.created` (`Nats-Msg-Id = <order_id>:created`). If the
//!    publish fails, the record is deleted again (at the revision written)
//!    and the caller answers 503: nothing is half-accepted.
//!
//! A repeat (sequential or concurrent, on any replica, after a restart)
//! reads the record: another body → `KeyReused`. Once the saga has
//! recorded the event (`events` names `created`), the order is accepted:
//! same order id. Before that, the first request may still be publishing,
//! or may have crashed: the repeat publishes the record's event itself and
//! answers once JetStream acknowledges it (a duplicate, dropped, if the
//! first publish landed within the stream's 2-minute window). Keys are
//! remembered as long as their order record (`ORDER_RETENTION_DAYS`). A
//! repeat more than 2 minutes after the first publish, while the order
//! still waits for its saga, stores a second `ORDER.created`; the saga runs
//! it as a contested re-run (see `order::load`), so the order is processed
//! once.

use time::OffsetDateTime;

use super::actor::{
    IntakeDeps, IntakeError, IntakeErrorKind, Placement, new_order, publish_created, stamp, undo_record,
};
use crate::bridge::BridgeErrorKind;
use crate::contracts::EventKind;
use crate::domain::{Order, ValidOrder, fingerprint, order_id_for_key};
use crate::telemetry::TraceContext;

pub(super) async fn place(deps: &IntakeDeps, valid: ValidOrder, key: &str) -> Result<Placement, IntakeError> {
    let body = fingerprint(&valid);
    let mut order = new_order(order_id_for_key(key), valid, OffsetDateTime::now_utc());
    order.idempotency = Some(body);
    let trace = stamp(&mut order);
    let order_id = order.order_id.clone();
    match deps.orders.create(order_id.as_str(), &order).await {
        Ok(revision) => {
            if let Err(e) = publish_created(deps, &order, trace).await {
                undo_record(deps, order_id.as_str(), revision).await;
                return Err(e);
            }
            Ok(Placement { order_id, created: true })
        }
        Err(e) if e.kind() == BridgeErrorKind::AlreadyExists => repeat(deps, order, trace).await,
        Err(e) => Err(e.into()),
    }
}

async fn repeat(deps: &IntakeDeps, order: Order, trace: TraceContext) -> Result<Placement, IntakeError> {
    let existing = deps.orders.get(order.order_id.as_str()).await?.ok_or_else(|| {
        IntakeError::with_source(
            IntakeErrorKind::Unavailable,
            "the first request under this key was refused meanwhile; retry",
        )
    })?;
    if existing.value.idempotency != order.idempotency {
        return Err(IntakeError::new(IntakeErrorKind::KeyReused));
    }
    let created = EventKind::Created.name();
    if !existing.value.events.iter().any(|e| e.event == created) {
        publish_created(deps, &existing.value, trace).await?;
    }
    Ok(Placement { order_id: order.order_id, created: false })
}
