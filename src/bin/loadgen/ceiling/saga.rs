//! The ceiling's saga: the JetStream work of `OrderActor`, `InventoryActor`
//! and `PaymentActor` for one `ORDER.created` (`src/actors/order/saga.rs`,
//! `steps.rs`, `inventory/actor.rs`, `payment/claim.rs`), run inline in a
//! task.
//!
//! Per order: KV get `orders`; then per step the effect, a CAS update of the
//! order and its events; the terminal events are followed by one more order
//! update (`events_published`). Effects: reserve/commit/release = per SKU a
//! KV get + CAS update of the stock record (retried on conflict, 64 times
//! at most, as the service does); payment = KV get + create (claim) of
//! `payments/<id>`, the simulated latency, KV update (outcome).

use async_nats::jetstream::kv;
use order_service::contracts::OrderEvent;
use order_service::domain::{
    FailureReason, Order, OrderStatus, Outcome, PaymentRecord, PaymentState, Run, StockChange, StockRecord,
};
use std::time::Duration;
use time::OffsetDateTime;

use super::setup::Handles;
use super::store::{self, WriteError};

const MAX_CAS_ATTEMPTS: usize = 64;

/// Runs `order` (as carried by `ORDER.created`) to a terminal status.
pub(crate) async fn run(h: &Handles, order: Order, payment_latency: Duration) -> Result<Order, String> {
    let key = order.order_id.to_string();
    let (mut order, mut revision) = load_or_create(h, &key, order).await?;
    loop {
        if !order.events_published {
            for event in events_for(&order) {
                let sequence = store::publish(h, &event).await?;
                order.record_event(event.kind.name(), sequence);
            }
            if order.status.is_terminal() {
                order.events_published = true;
                store::update(&h.orders, &key, &order, revision).await?;
                return Ok(order);
            }
        }
        let outcome = match order.status {
            OrderStatus::Pending => reserve(h, &order).await?,
            OrderStatus::StockReserved => capture(h, &order, payment_latency).await?,
            OrderStatus::PaymentCaptured => {
                each_sku(h, &order, StockRecord::commit).await.map(|_| Outcome::Completed)?
            }
            OrderStatus::Compensating => each_sku(h, &order, StockRecord::release).await.map(|_| Outcome::Released)?,
            OrderStatus::Completed | OrderStatus::Failed => return Ok(order),
        };
        order.advance(outcome, OffsetDateTime::now_utc()).map_err(|e| e.to_string())?;
        revision = store::update(&h.orders, &key, &order, revision).await?;
    }
}

/// The order record, created from the event if intake has not written it yet.
async fn load_or_create(h: &Handles, key: &str, order: Order) -> Result<(Order, u64), String> {
    if let Some(found) = store::get::<Order>(&h.orders, key).await? {
        return Ok(found);
    }
    match store::create(&h.orders, key, &order).await {
        Ok(revision) => Ok((order, revision)),
        Err(WriteError::Conflict) => store::get(&h.orders, key).await?.ok_or_else(|| format!("order {key} vanished")),
        Err(e) => Err(e.into()),
    }
}

/// The events announcing the order's current status (mirrors steps::events_for).
fn events_for(order: &Order) -> Vec<OrderEvent> {
    let detail = |status: Option<OrderStatus>| {
        let entry = match status {
            Some(s) => order.history.iter().rev().find(|h| h.status == s),
            None => order.history.last(),
        };
        entry.and_then(|h| h.detail.clone()).unwrap_or_default()
    };
    match (order.status, order.failure_reason) {
        (OrderStatus::Pending, _) => vec![],
        (OrderStatus::StockReserved, _) => vec![OrderEvent::inventory_reserved(order)],
        (OrderStatus::PaymentCaptured, _) => {
            vec![OrderEvent::payment_captured(order, order.charge_id.as_deref().unwrap_or_default())]
        }
        (OrderStatus::Compensating, _) => vec![OrderEvent::payment_declined(order, &detail(None))],
        (OrderStatus::Completed, _) => vec![OrderEvent::completed(order)],
        (OrderStatus::Failed, Some(FailureReason::PaymentDeclined)) => vec![
            OrderEvent::inventory_released(order),
            OrderEvent::failed(order, &detail(Some(OrderStatus::Compensating))),
        ],
        (OrderStatus::Failed, _) => vec![OrderEvent::failed(order, &detail(None))],
    }
}

/// Read-modify-CAS of one stock record; returns what `change` said.
async fn modify(
    stock: &kv::Store,
    sku: &str,
    change: impl Fn(&mut StockRecord) -> StockChange,
) -> Result<(StockChange, StockRecord), String> {
    for _ in 0..MAX_CAS_ATTEMPTS {
        let current = store::get::<StockRecord>(stock, sku).await?;
        let (mut record, revision) = match current {
            Some((record, revision)) => (record, Some(revision)),
            None => (StockRecord::default(), None),
        };
        let outcome = change(&mut record);
        if outcome != StockChange::Applied {
            return Ok((outcome, record));
        }
        let written = match revision {
            Some(revision) => store::update(stock, sku, &record, revision).await,
            None => store::create(stock, sku, &record).await,
        };
        match written {
            Ok(_) => return Ok((outcome, record)),
            Err(WriteError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(format!("too much contention on {sku}"))
}

async fn reserve(h: &Handles, order: &Order) -> Result<Outcome, String> {
    let id = order.order_id.as_str();
    let mut items = order.items.clone();
    items.sort_by(|a, b| a.sku.cmp(&b.sku));
    for (index, item) in items.iter().enumerate() {
        let (outcome, record) = modify(&h.inventory, &item.sku, |r| r.reserve(id, item.quantity, single_run())).await?;
        if outcome == StockChange::Insufficient {
            for earlier in &items[..index] {
                modify(&h.inventory, &earlier.sku, |r| r.unreserve(id, single_run())).await?;
            }
            let detail = format!("{}: wanted {}, available {}", item.sku, item.quantity, record.available);
            return Ok(Outcome::OutOfStock { detail });
        }
    }
    Ok(Outcome::Reserved)
}

/// The ceiling runs each order once, uncontested (no fences).
fn single_run() -> Run {
    Run { token: 0, contested: false, now: 0 }
}

async fn each_sku(
    h: &Handles,
    order: &Order,
    change: fn(&mut StockRecord, &str, Run) -> StockChange,
) -> Result<(), String> {
    for item in &order.items {
        modify(&h.inventory, &item.sku, |r| change(r, order.order_id.as_str(), single_run())).await?;
    }
    Ok(())
}

/// Claim in `payments`, call the simulated provider, record the outcome.
async fn capture(h: &Handles, order: &Order, latency: Duration) -> Result<Outcome, String> {
    let key = order.order_id.as_str();
    let claim = |attempts| {
        PaymentRecord::claimed(uuid::Uuid::now_v7().simple().to_string(), attempts, OffsetDateTime::now_utc())
    };
    let (mut record, revision) = match store::get::<PaymentRecord>(&h.payments, key).await? {
        Some((done, _)) if matches!(done.state, PaymentState::Captured | PaymentState::Declined) => {
            return Ok(outcome_of(done));
        }
        Some((earlier, revision)) => {
            let record = claim(earlier.attempts + 1);
            let revision = store::update(&h.payments, key, &record, revision).await?;
            (record, revision)
        }
        None => {
            let record = claim(1);
            let revision = store::create(&h.payments, key, &record).await?;
            (record, revision)
        }
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    record.updated_at = OffsetDateTime::now_utc();
    if order.payment_token.starts_with("tok_decline") {
        record.state = PaymentState::Declined;
        record.reason = Some("card_declined (simulated)".into());
    } else {
        record.state = PaymentState::Captured;
        record.charge_id = Some(format!("ch_sim_{}", uuid::Uuid::now_v7().simple()));
    }
    store::update(&h.payments, key, &record, revision).await?;
    Ok(outcome_of(record))
}

fn outcome_of(record: PaymentRecord) -> Outcome {
    match record.state {
        PaymentState::Declined => Outcome::Declined { detail: record.reason.unwrap_or_default() },
        _ => Outcome::Captured { charge_id: record.charge_id.unwrap_or_default() },
    }
}
