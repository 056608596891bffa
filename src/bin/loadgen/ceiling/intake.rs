//! The ceiling's intake: what `IntakeActor` does for an order with an
//! `Idempotency-Key` (src/actors/intake/idempotent.rs), minus HTTP and
//! actors, with the service's own record and event types so every payload
//! has the service's size:
//!
//! 1. KV create `idempotency/<sha256(key)>` (claim, PENDING)
//! 2. publish `ORDER.created` and, at the same time, KV create `orders/<id>`
//!    (the PENDING order; "already exists" is fine: the saga got there
//!    first); the order is accepted when both are answered
//! 3. KV update `idempotency/<key>` at the claim's revision (ACCEPTED), in
//!    the background after the order counts as accepted, as the service
//!    marks it after its 202

use order_service::contracts::OrderEvent;
use order_service::domain::{
    Currency, IdempotencyRecord, IdempotencyState, Order, OrderId, OrderItem, ValidOrder, fingerprint,
    idempotency_kv_key,
};
use time::OffsetDateTime;

use super::setup::Handles;
use super::store;
use crate::mix::Planned;
use crate::tally::{self, SharedTally};

fn valid_order(planned: &Planned) -> ValidOrder {
    let items = planned
        .items
        .iter()
        .map(|l| OrderItem { sku: l.sku.clone(), quantity: l.quantity, unit_price_minor: l.unit_price_minor })
        .collect();
    ValidOrder {
        customer_id: planned.customer_id.clone(),
        items,
        currency: Currency::parse(planned.currency).unwrap_or_default(),
        payment_token: planned.payment_token.to_string(),
    }
}

/// Accepts one order, recording its creation in `tally`.
pub(crate) async fn place(handles: &Handles, tally: &SharedTally, planned: &Planned) -> Result<(), String> {
    let valid = valid_order(planned);
    let kv_key = idempotency_kv_key(&planned.idempotency_key);
    let mut claim = IdempotencyRecord {
        order_id: OrderId::generate(),
        fingerprint: fingerprint(&valid),
        state: IdempotencyState::Pending,
        created_at: OffsetDateTime::now_utc(),
    };
    let revision = store::create(&handles.idempotency, &kv_key, &claim).await?;
    let ValidOrder { customer_id, items, currency, payment_token } = valid;
    let order = Order::pending(claim.order_id.clone(), customer_id, items, currency, payment_token, claim.created_at);
    // Tallied before the publish: its saga may finish before the ack is seen here.
    tally::lock(tally).created(order.order_id.as_str(), tally::now_ns());
    let event = OrderEvent::created(&order);
    let (published, created) = futures::join!(
        store::publish(handles, &event),
        store::create(&handles.orders, order.order_id.as_str(), &order)
    );
    if let Err(e) = published {
        tally::lock(tally).forget(order.order_id.as_str());
        return Err(e);
    }
    match created {
        Ok(_) | Err(store::WriteError::Conflict) => {}
        Err(e) => return Err(e.into()),
    }
    // As the service: answered first, the claim is marked in the background.
    claim.state = IdempotencyState::Accepted;
    // A failed mark only costs a repeat its re-publish (the service logs it).
    let idempotency = handles.idempotency.clone();
    tokio::spawn(async move {
        let _ = store::update(&idempotency, &kv_key, &claim, revision).await;
    });
    Ok(())
}
