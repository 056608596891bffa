//! The ceiling's intake: what `IntakeActor` does for an order with an
//! `Idempotency-Key` (src/actors/intake/idempotent.rs), minus HTTP and
//! actors, with the service's own record and event types so every payload
//! has the service's size:
//!
//! 1. KV create `orders/<id>`, the id derived from the key (the PENDING
//!    order with the request's fingerprint: the key's claim)
//! 2. publish `ORDER.created`; the order is accepted when it is answered

use order_service::contracts::OrderEvent;
use order_service::domain::{Currency, Order, OrderItem, ValidOrder, fingerprint, order_id_for_key};
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
    let body = fingerprint(&valid);
    let ValidOrder { customer_id, items, currency, payment_token } = valid;
    let order_id = order_id_for_key(&planned.idempotency_key);
    let now = OffsetDateTime::now_utc();
    let mut order = Order::pending(order_id, customer_id, items, currency, payment_token, now);
    order.idempotency = Some(body);
    let key = order.order_id.to_string();
    store::create(&handles.orders, &key, &order).await?;
    // Tallied before the publish: its saga may finish before the ack is seen here.
    tally::lock(tally).created(&key, tally::now_ns());
    if let Err(e) = store::publish(handles, &OrderEvent::created(&order)).await {
        tally::lock(tally).forget(&key);
        return Err(e);
    }
    Ok(())
}
