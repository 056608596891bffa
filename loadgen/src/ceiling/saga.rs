//! The ceiling's saga: the JetStream work of `OrderActor`, `InventoryActor`
//! and `PaymentActor` for one `ORDER.created` (`src/actors/order/saga.rs`,
//! `steps.rs`, `inventory/store.rs`, `payment/claim.rs`), run inline in a
//! task, with the same shortcuts the service takes:
//!
//! - KV get `orders` (the record intake wrote), then per step the effect and
//!   a CAS update of the order; events are published after the update, or
//!   before it for steps with a single outcome (`has_single_outcome`), which
//!   spares the separate `events_published` update of the terminal status.
//! - Stock (reserve/commit/release): the group commit of `stock.rs`, one CAS
//!   per batch at the revision this process last saw (a conflict or a cache
//!   miss costs a read and a retry), confirmations riding on the next write.
//! - Payment: the claim rides on the `STOCK_RESERVED` write of the order
//!   record and the outcome on the next status write (no write of its own),
//!   the simulated latency in between.

use order_service::contracts::OrderEvent;
use order_service::domain::{
    FailureReason, Order, OrderStatus, Outcome, PaymentRecord, PaymentState, StockChange, StockRecord, StockStamp,
    StockStep,
};
use std::time::Duration;
use time::OffsetDateTime;

use super::setup::Handles;
use super::stock;
use super::store::{self, WriteError};

/// Runs `order` (as carried by `ORDER.created`) to a terminal status.
pub(crate) async fn run(h: &Handles, order: Order, payment_latency: Duration) -> Result<Order, String> {
    let key = order.order_id.to_string();
    let (mut order, mut revision) = load_or_create(h, &key, order).await?;
    loop {
        if !order.events_published {
            publish(h, &mut order).await?;
            if order.status.is_terminal() {
                order.events_published = true;
                store::update(&h.orders, &key, &order, revision).await?;
            }
        }
        if order.status.is_terminal() {
            return Ok(order);
        }
        let single_outcome = order.status.has_single_outcome();
        let outcome = match order.status {
            OrderStatus::Pending => reserve(h, &order).await?,
            OrderStatus::StockReserved => capture(&mut order, payment_latency).await?,
            OrderStatus::PaymentCaptured => {
                each_sku(h, &order, StockRecord::commit).await.map(|_| Outcome::Completed)?
            }
            OrderStatus::Compensating => each_sku(h, &order, StockRecord::release).await.map(|_| Outcome::Released)?,
            OrderStatus::Completed | OrderStatus::Failed => return Ok(order),
        };
        order.advance(outcome, OffsetDateTime::now_utc()).map_err(|e| e.to_string())?;
        reserve_claim(&mut order);
        if single_outcome {
            publish(h, &mut order).await?;
            order.events_published = true;
        }
        revision = store::update(&h.orders, &key, &order, revision).await?;
        confirm(h, &order);
    }
}

/// Publishes the events announcing the order's status that it has not
/// recorded yet, remembering their sequences on the order.
async fn publish(h: &Handles, order: &mut Order) -> Result<(), String> {
    for event in OrderEvent::announcing(order) {
        let name = event.kind.name();
        if order.events.iter().any(|e| e.event == name) {
            continue;
        }
        let sequence = store::publish(h, &event).await?;
        order.record_event(name, sequence);
    }
    Ok(())
}

/// The order record, created from the event if intake has not written it yet.
/// A found record gets the event's `ORDER.created` reference, as in the service.
async fn load_or_create(h: &Handles, key: &str, order: Order) -> Result<(Order, u64), String> {
    if let Some((mut found, revision)) = store::get::<Order>(&h.orders, key).await? {
        for created in order.events {
            found.record_event(&created.event, created.sequence);
        }
        return Ok((found, revision));
    }
    match store::create(&h.orders, key, &order).await {
        Ok(revision) => Ok((order, revision)),
        Err(WriteError::Conflict) => store::get(&h.orders, key).await?.ok_or_else(|| format!("order {key} vanished")),
        Err(e) => Err(e.into()),
    }
}

async fn reserve(h: &Handles, order: &Order) -> Result<Outcome, String> {
    let mut items = order.items.clone();
    items.sort_by(|a, b| a.sku.cmp(&b.sku));
    for (index, item) in items.iter().enumerate() {
        let (id, quantity) = (order.order_id.to_string(), item.quantity);
        let (outcome, record) = stock::modify(h, &item.sku, move |r| r.reserve(&id, quantity, single_stamp())).await?;
        if outcome == StockChange::Insufficient {
            for earlier in &items[..index] {
                let id = order.order_id.to_string();
                stock::modify(h, &earlier.sku, move |r| r.unreserve(&id, single_stamp())).await?;
            }
            let detail = format!("{}: wanted {}, available {}", item.sku, item.quantity, record.available);
            return Ok(Outcome::OutOfStock { detail });
        }
    }
    Ok(Outcome::Reserved)
}

/// The ceiling runs each order once, uncontested (no fences).
fn single_stamp() -> StockStamp {
    StockStamp { token: 0, contested: false, now: 0 }
}

async fn each_sku(
    h: &Handles,
    order: &Order,
    change: fn(&mut StockRecord, &str, u32, StockStamp) -> StockChange,
) -> Result<(), String> {
    for item in &order.items {
        let (id, quantity) = (order.order_id.to_string(), item.quantity);
        stock::modify(h, &item.sku, move |r| change(r, &id, quantity, single_stamp())).await?;
    }
    Ok(())
}

/// As the saga's `confirm_stock`: the order record now shows the outcome
/// of the stock step that led to `order`'s status.
fn confirm(h: &Handles, order: &Order) {
    let step = match order.status {
        OrderStatus::StockReserved => StockStep::Reserved,
        OrderStatus::Completed => StockStep::Committed,
        OrderStatus::Failed if order.failure_reason == Some(FailureReason::PaymentDeclined) => StockStep::Released,
        _ => return,
    };
    for item in &order.items {
        stock::confirm(h, &item.sku, order.order_id.as_str(), step);
    }
}

/// The payment step: the claim was taken with the `STOCK_RESERVED` write
/// (see `reserve_claim`), so only the simulated provider's latency and
/// answer; the outcome goes into the order record with the next status.
async fn capture(order: &mut Order, latency: Duration) -> Result<Outcome, String> {
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let Some(record) = order.payment.as_mut() else {
        return Err(format!("order {} has no payment claim", order.order_id));
    };
    record.updated_at = OffsetDateTime::now_utc();
    if order.payment_token.starts_with("tok_decline") {
        record.state = PaymentState::Declined;
        record.reason = Some("card_declined (simulated)".into());
    } else {
        record.state = PaymentState::Captured;
        record.charge_id = Some(format!("ch_sim_{}", uuid::Uuid::now_v7().simple()));
    }
    Ok(outcome_of(record.clone()))
}

/// Puts a payment claim on an order reaching `STOCK_RESERVED`, as the
/// service's saga does with that write.
fn reserve_claim(order: &mut Order) {
    if order.status == OrderStatus::StockReserved {
        let claim = uuid::Uuid::now_v7().simple().to_string();
        order.payment = Some(PaymentRecord::claimed(claim, 1, OffsetDateTime::now_utc()));
    }
}

fn outcome_of(record: PaymentRecord) -> Outcome {
    match record.state {
        PaymentState::Declined => Outcome::Declined { detail: record.reason.unwrap_or_default() },
        _ => Outcome::Captured { charge_id: record.charge_id.unwrap_or_default() },
    }
}
