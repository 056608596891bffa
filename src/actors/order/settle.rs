//! Settling the JetStream delivery that started an order's saga run:
//!
//! - the saga reached a terminal status → ack;
//! - failure → nak with a delay growing with the delivery count (1 s … 60 s),
//!   or [`SHUTDOWN_NAK_DELAY`] once the instance is stopping, so another
//!   replica takes the order over soon;
//!   on the last allowed delivery (`MAX_DELIVER`), or at once for a
//!   permanent error (retrying cannot help) → dead-lettered instead, so the
//!   order is visible to operators and can be replayed;
//! - before dead-lettering an order that has not been charged (`PENDING`
//!   or `COMPENSATING`), its stock holds are released, so a stuck order
//!   never keeps stock locked. Orders at `STOCK_RESERVED` (payment outcome
//!   unknown) or `PAYMENT_CAPTURED` keep their holds: the customer may have
//!   paid for that stock.
//! - undecodable payloads (poison, found by the pool) → dead-lettered, then
//!   terminated (never redelivered, never blocks the orders behind it).
//!
//! If dead-lettering itself fails (NATS down) the message is nak'd: it is
//! never dropped. While a saga runs, its worker sends in-progress acks for
//! the delivery every [`keep_alive_period`] (see `keep_alive`) so a slow but
//! healthy order is not redelivered.

use actix::Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{SagaDeps, SagaError};
use crate::actors::inventory::{InventoryActor, OrderRevision, ReleaseStock};
use crate::bridge::{BridgeError, DeadLetter, DeadLetterActor, HeldDelivery, JsonKv};
use crate::domain::{Order, OrderId, OrderStatus};
use crate::metrics::Metrics;
use crate::ops::PoolStats;
use crate::shutdown::{SHUTDOWN_NAK_DELAY, Stopping};
use crate::telemetry::TraceContext;

const MAX_NAK_DELAY: Duration = Duration::from_secs(60);

/// How deliveries are settled; shared by the pool and every order actor.
#[derive(Debug, Clone)]
pub struct SettleSettings {
    pub ack_wait: Duration,
    pub max_deliver: i64,
    pub dead_letters: Addr<DeadLetterActor>,
    pub stats: Arc<PoolStats>,
    /// Set at shutdown: failed runs are nak'd with a short delay.
    pub stopping: Stopping,
}

/// Acks, naks or dead-letters `delivery` after a saga run ended with `result`.
pub(super) async fn after_run(
    deps: &SagaDeps,
    settings: &SettleSettings,
    delivery: &HeldDelivery,
    order_id: &OrderId,
    result: Result<(), SagaError>,
) {
    let Err(error) = result else {
        return log_settle(delivery.ack().await, order_id);
    };
    let out_of_deliveries = delivery.delivered() >= settings.max_deliver;
    if out_of_deliveries || !error.is_transient() {
        let reason = match out_of_deliveries {
            true => format!("max deliveries ({}) reached; last error: {error}", settings.max_deliver),
            false => format!("permanent error, not retried: {error}"),
        };
        match Box::pin(release_holds(&deps.orders, &deps.inventory, order_id)).await {
            Ok(()) => {}
            // Deliveries are left: the next one tries again (JetStream does
            // not redeliver past MAX_DELIVER, so the last one dead-letters
            // whatever happens and the holds wait for the replay).
            Err(e) if e.is_transient() && !out_of_deliveries => {
                tracing::warn!(%order_id, error = %e, "holds of an order to dead-letter not released; will retry");
                return log_settle(delivery.nak(retry_delay(delivery.delivered())).await, order_id);
            }
            Err(e) => tracing::error!(%order_id, error = %e, "dead-lettering an order whose holds were not released"),
        }
        let letter = delivery.dead_letter(reason);
        return Box::pin(dead_letter(&deps.metrics, settings, letter, delivery)).await;
    }
    let delay = match settings.stopping.is_set() {
        true => SHUTDOWN_NAK_DELAY,
        false => retry_delay(delivery.delivered()),
    };
    tracing::warn!(%order_id, %error, ?delay, delivered = delivery.delivered(), "saga paused; will retry");
    log_settle(delivery.nak(delay).await, order_id);
}

fn log_settle(result: Result<(), BridgeError>, order_id: &OrderId) {
    if let Err(e) = result {
        // JetStream redelivers after ack_wait; the saga is idempotent.
        tracing::warn!(%order_id, error = %e, "could not settle delivery; it will be redelivered");
    }
}

/// Releases the stock holds of an order about to be dead-lettered, if it
/// has not been charged (see the module doc). Idempotent: a release finds
/// no hold the second time.
async fn release_holds(
    orders: &JsonKv<Order>,
    inventory: &Addr<InventoryActor>,
    order_id: &OrderId,
) -> Result<(), SagaError> {
    let Some(current) = orders.get(order_id.as_str()).await? else {
        return Ok(());
    };
    if !matches!(current.value.status, OrderStatus::Pending | OrderStatus::Compensating) {
        return Ok(());
    }
    let revision =
        OrderRevision { token: current.revision, contested: current.value.contested, loaded_at: Instant::now() };
    let items = current.value.items.clone();
    let may_reserve_again = current.value.status == OrderStatus::Pending;
    let (order_id_text, trace) = (order_id.to_string(), TraceContext::current());
    let release = ReleaseStock { order_id: order_id_text, revision, items, may_reserve_again, trace };
    inventory.send(release).await?.map_err(SagaError::from)?;
    tracing::info!(%order_id, status = %current.value.status, "holds released before dead-lettering");
    Ok(())
}

/// Records `letter` (made from `delivery`) in the dead-letter stream, then
/// terminates `delivery`. Counted once per message: only when the stream
/// stored it anew (not when publishing failed and will be retried, nor for
/// a repeat the stream deduplicated).
pub(crate) async fn dead_letter(
    metrics: &Metrics,
    settings: &SettleSettings,
    letter: DeadLetter,
    delivery: &HeldDelivery,
) {
    let sent = settings.dead_letters.send(letter).await;
    if let Ok(Ok(stored)) = &sent
        && !stored.duplicate
    {
        metrics.poison_messages.inc();
    }
    let settled = match sent {
        Ok(Ok(_)) => delivery.terminate().await,
        Ok(Err(e)) => Err(e),
        Err(e) => Err(BridgeError::unavailable(e)),
    };
    if let Err(e) = settled {
        tracing::warn!(error = %e, seq = delivery.stream_sequence(), "dead-lettering failed; message kept for retry");
        let _ = delivery.nak(MAX_NAK_DELAY).await;
    }
}

/// How often a running order sends an in-progress ack: every third of
/// `ack_wait`.
pub fn keep_alive_period(ack_wait: Duration) -> Duration {
    (ack_wait / 3).max(Duration::from_millis(200))
}

/// Exponential in the delivery count: 1 s, 2 s, 4 s … capped at 60 s.
fn retry_delay(delivered: i64) -> Duration {
    let exponent = delivered.clamp(1, 7) as u32 - 1;
    Duration::from_secs(1u64 << exponent).min(MAX_NAK_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_grows_and_is_capped() {
        assert_eq!(retry_delay(1), Duration::from_secs(1));
        assert_eq!(retry_delay(3), Duration::from_secs(4));
        assert_eq!(retry_delay(50), MAX_NAK_DELAY);
    }

    mod release_before_dead_lettering {
        use actix::Actor;
        use time::OffsetDateTime;

        use super::*;
        use crate::actors::inventory::{GetStock, PriceChange, Reservation, ReserveStock, SetStock};
        use crate::actors::supervision::{RestartPolicy, SupervisedChild};
        use crate::config::Settings;
        use crate::domain::{Currency, OrderItem, Outcome};
        use support::nats::NatsServer;

        const SKUS: [&str; 2] = ["SKU-A", "SKU-B"];

        struct Setup {
            orders: JsonKv<Order>,
            inventory: Addr<InventoryActor>,
            _nats: NatsServer,
        }

        /// A real broker with 10 of each SKU and an order holding 3 of each,
        /// its record left at `PENDING` (the reservation's record write never
        /// happened) and then advanced by `outcomes`.
        async fn order_holding_stock(outcomes: Vec<Outcome>) -> (Setup, OrderId) {
            let nats = NatsServer::start().await;
            let mut settings = Settings::default();
            settings.nats.url = nats.url().to_string();
            let handles = crate::bridge::connect(&settings).await.expect("connect to NATS");
            let child = SupervisedChild::new("inventory", RestartPolicy::default(), Arc::new(Metrics::new()));
            let inventory = InventoryActor::new(handles.inventory.clone(), handles.orders.clone(), child).start();
            let items: Vec<OrderItem> =
                SKUS.iter().map(|sku| OrderItem { sku: (*sku).into(), quantity: 3, unit_price_minor: 100 }).collect();
            for sku in SKUS {
                let set = SetStock { sku: sku.into(), available: 10, price: PriceChange::Keep };
                inventory.send(set).await.expect("mailbox").expect("stock set");
            }
            let now = OffsetDateTime::now_utc();
            let mut order =
                Order::pending(OrderId::generate(), "c".into(), items.clone(), Currency::default(), "t".into(), now);
            let id = order.order_id.clone();
            let revision = handles.orders.create(id.as_str(), &order).await.expect("order record");
            let run = OrderRevision { token: revision, contested: false, loaded_at: Instant::now() };
            let reserve =
                ReserveStock { order_id: id.to_string(), revision: run, items, trace: TraceContext::default() };
            let reserved = inventory.send(reserve).await.expect("mailbox").expect("reserve");
            assert!(matches!(reserved, Reservation::Reserved));
            for outcome in outcomes {
                order.advance(outcome, now).expect("transition");
            }
            handles.orders.put(id.as_str(), &order).await.expect("order record advanced");
            (Setup { orders: handles.orders.clone(), inventory, _nats: nats }, id)
        }

        async fn levels(setup: &Setup) -> Vec<(u64, u64)> {
            let mut all = Vec::new();
            for sku in SKUS {
                let levels = setup.inventory.send(GetStock { sku: sku.into() }).await.expect("mailbox");
                let levels = levels.expect("read").expect("stocked");
                all.push((levels.available, levels.reserved));
            }
            all
        }

        #[actix_web::test]
        async fn an_uncharged_pending_order_gives_its_holds_back_and_can_reserve_again() {
            let (setup, id) = order_holding_stock(vec![]).await;
            assert_eq!(levels(&setup).await, [(7, 3), (7, 3)]);

            release_holds(&setup.orders, &setup.inventory, &id).await.expect("released");

            assert_eq!(levels(&setup).await, [(10, 0), (10, 0)]);
            // Released as "may reserve again": a replay's reservation is not refused.
            let current = setup.orders.get(id.as_str()).await.expect("read").expect("order");
            let run = OrderRevision { token: current.revision, contested: false, loaded_at: Instant::now() };
            let items = current.value.items.clone();
            let replay =
                ReserveStock { order_id: id.to_string(), revision: run, items, trace: TraceContext::default() };
            let reserved = setup.inventory.send(replay).await.expect("mailbox").expect("reserve again");
            assert!(matches!(reserved, Reservation::Reserved));
            assert_eq!(levels(&setup).await, [(7, 3), (7, 3)]);
        }

        #[actix_web::test]
        async fn an_order_that_may_have_been_charged_keeps_its_holds() {
            let (setup, id) = order_holding_stock(vec![Outcome::Reserved]).await;

            release_holds(&setup.orders, &setup.inventory, &id).await.expect("nothing to do");

            assert_eq!(levels(&setup).await, [(7, 3), (7, 3)], "STOCK_RESERVED: the payment outcome is unknown");
        }
    }
}
