//! Group commit of stock changes: changes to one SKU queued while a write
//! is in flight are decided together on one copy of the record and written
//! with one compare-and-set, each change keeping its own outcome. The
//! inventory actor writes to a real KV bucket; the number of writes is read
//! from the record's revision (one SKU per bucket: one revision per write).

use actix::{Actor, Addr};
use futures::future::join_all;
use order_service::actors::inventory::{
    ConfirmStock, InventoryActor, InventoryError, InventoryErrorKind, OrderRevision, PriceChange, Reservation,
    ReserveStock, SetStock,
};
use order_service::actors::supervision::{RestartPolicy, SupervisedChild};
use order_service::bridge::{JsonKv, Versioned};
use order_service::domain::{Currency, JournalEntry, Order, OrderId, OrderItem, Outcome, StockRecord, StockStep};
use order_service::metrics::Metrics;
use order_service::telemetry::TraceContext;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::helpers::{eventually, test_settings};
use support::nats::NatsServer;

const SKU: &str = "SKU-HOT";

struct Stock {
    inventory: Addr<InventoryActor>,
    kv: JsonKv<StockRecord>,
    orders: JsonKv<Order>,
    _nats: NatsServer,
}

/// An inventory actor on a fresh broker with `available` units of [`SKU`].
async fn stocked(available: u64) -> Stock {
    let nats = NatsServer::start().await;
    let handles = order_service::bridge::connect(&test_settings(nats.url())).await.expect("connect to NATS");
    let child = SupervisedChild::new("inventory", RestartPolicy::default(), Arc::new(Metrics::new()));
    let inventory = InventoryActor::new(handles.inventory.clone(), handles.orders.clone(), child).start();
    inventory
        .send(SetStock { sku: SKU.into(), available, price: PriceChange::Keep })
        .await
        .expect("mailbox")
        .expect("stock set");
    Stock { inventory, kv: handles.inventory.clone(), orders: handles.orders.clone(), _nats: nats }
}

impl Stock {
    async fn record(&self, sku: &str) -> Versioned<StockRecord> {
        self.kv.get(sku).await.expect("read").expect("stocked")
    }
}

fn order_id(n: usize) -> String {
    format!("0190b2a4-0000-7000-8000-{n:012}")
}

fn run(token: u64, contested: bool) -> OrderRevision {
    OrderRevision { token, contested, loaded_at: Instant::now() }
}

fn reserve(order: &str, lines: &[(&str, u32)], run: OrderRevision) -> ReserveStock {
    let items =
        lines.iter().map(|(sku, quantity)| OrderItem { sku: (*sku).into(), quantity: *quantity, unit_price_minor: 1 });
    ReserveStock { order_id: order.into(), revision: run, items: items.collect(), trace: TraceContext::default() }
}

type Answer = Result<Reservation, InventoryError>;

/// Sends every reservation at once (they queue behind each other's writes).
async fn reserve_all(inventory: &Addr<InventoryActor>, all: Vec<ReserveStock>) -> Vec<Answer> {
    join_all(all.into_iter().map(|msg| inventory.send(msg))).await.into_iter().map(|r| r.expect("mailbox")).collect()
}

#[actix_web::test]
async fn concurrent_reserves_on_one_sku_never_oversell_and_share_writes() {
    let stock = stocked(50).await;
    let before = stock.record(SKU).await.revision;

    let all = (0..200).map(|n| reserve(&order_id(n), &[(SKU, 1)], run(1, false))).collect();
    let answers = reserve_all(&stock.inventory, all).await;

    let reserved = answers.iter().filter(|a| matches!(a, Ok(Reservation::Reserved))).count();
    let short = answers.iter().filter(|a| matches!(a, Ok(Reservation::OutOfStock { .. }))).count();
    assert_eq!((reserved, short), (50, 150), "{answers:?}");
    let after = stock.record(SKU).await;
    assert_eq!((after.value.available, after.value.reserved), (0, 50));
    let writes = after.revision - before;
    assert!(writes < 50, "50 holds took {writes} writes: changes were not grouped");
}

#[actix_web::test]
async fn a_batch_where_one_order_is_short_fails_only_that_order() {
    let stock = stocked(5).await;
    stock
        .inventory
        .send(SetStock { sku: "SKU-SIDE".into(), available: 10, price: PriceChange::Keep })
        .await
        .expect("mailbox")
        .expect("set");

    let all = vec![
        reserve(&order_id(1), &[(SKU, 3)], run(1, false)),
        // Short on the hot SKU: its hold on SKU-SIDE must be undone.
        reserve(&order_id(2), &[(SKU, 4), ("SKU-SIDE", 1)], run(1, false)),
        reserve(&order_id(3), &[(SKU, 2)], run(1, false)),
    ];
    let answers = reserve_all(&stock.inventory, all).await;

    assert!(matches!(answers[0], Ok(Reservation::Reserved)), "{answers:?}");
    assert!(matches!(&answers[1], Ok(Reservation::OutOfStock { sku, wanted: 4, .. }) if sku == SKU), "{answers:?}");
    assert!(matches!(answers[2], Ok(Reservation::Reserved)), "{answers:?}");
    let hot = stock.record(SKU).await.value;
    assert_eq!((hot.available, hot.reserved), (0, 5));
    let side = stock.record("SKU-SIDE").await.value;
    assert_eq!((side.available, side.reserved), (10, 0), "the short order keeps no hold elsewhere");
}

#[actix_web::test]
async fn a_replayed_change_inside_a_batch_is_a_no_op() {
    let stock = stocked(10).await;

    let all = vec![
        reserve(&order_id(1), &[(SKU, 3)], run(1, false)),
        reserve(&order_id(1), &[(SKU, 3)], run(1, false)),
        reserve(&order_id(2), &[(SKU, 1)], run(1, false)),
        reserve(&order_id(1), &[(SKU, 3)], run(1, false)),
    ];
    let answers = reserve_all(&stock.inventory, all).await;

    assert!(answers.iter().all(|a| matches!(a, Ok(Reservation::Reserved))), "{answers:?}");
    let record = stock.record(SKU).await.value;
    assert_eq!((record.available, record.reserved), (6, 4), "order 1 holds 3 once");
}

#[actix_web::test]
async fn a_stale_run_inside_a_batch_is_refused() {
    let stock = stocked(10).await;

    // The newer, contested run (order revision 5) and the paused first run
    // (revision 1) of the same order land in one batch.
    let all = vec![
        reserve(&order_id(1), &[(SKU, 2)], run(5, true)),
        reserve(&order_id(1), &[(SKU, 2)], run(1, false)),
        reserve(&order_id(2), &[(SKU, 1)], run(1, false)),
    ];
    let answers = reserve_all(&stock.inventory, all).await;

    assert!(matches!(answers[0], Ok(Reservation::Reserved)), "{answers:?}");
    assert!(matches!(answers[1], Err(ref e) if e.kind() == InventoryErrorKind::Superseded), "{answers:?}");
    assert!(matches!(answers[2], Ok(Reservation::Reserved)), "{answers:?}");
    let record = stock.record(SKU).await.value;
    assert_eq!((record.available, record.reserved), (7, 3));
}

#[actix_web::test]
async fn confirmed_holds_leave_the_stock_record_so_its_size_does_not_grow_with_orders_in_flight() {
    let stock = stocked(1_000).await;
    let all = (0..300).map(|n| reserve(&order_id(n), &[(SKU, 1)], run(1, false))).collect();
    let answers = reserve_all(&stock.inventory, all).await;
    assert!(answers.iter().all(|a| matches!(a, Ok(Reservation::Reserved))), "{answers:?}");
    assert_eq!(stock.record(SKU).await.value.journal.len(), 300, "each hold is journaled until confirmed");

    for n in 0..300 {
        let confirm = ConfirmStock { order_id: order_id(n), skus: vec![SKU.into()], step: StockStep::Reserved };
        stock.inventory.do_send(confirm);
    }

    let record = eventually(
        || async {
            let record = stock.record(SKU).await.value;
            record.journal.is_empty().then_some(record)
        },
        Duration::from_secs(10),
    )
    .await;
    assert_eq!((record.available, record.reserved), (700, 300), "300 orders still hold stock");
    let bytes = serde_json::to_vec(&record).expect("json").len();
    assert!(bytes < 64, "{bytes} bytes for 300 holds");
}

/// The order record of `id` (one unit of `sku`) after `outcomes`.
fn order_after(id: &str, sku: &str, outcomes: Vec<Outcome>) -> Order {
    let items = vec![OrderItem { sku: sku.into(), quantity: 1, unit_price_minor: 1 }];
    let now = time::OffsetDateTime::now_utc();
    let id = OrderId::parse(id).expect("order id");
    let mut order = Order::pending(id, "c".into(), items, Currency::default(), String::new(), now);
    for outcome in outcomes {
        order.advance(outcome, now).expect("transition");
    }
    order
}

#[actix_web::test]
async fn a_lost_confirmation_is_swept_once_the_order_record_shows_its_step_and_only_then() {
    let stock = stocked(10).await;
    // An hour ago, by an instance that crashed: order 1 reserved and the
    // crash came before its order write; order 2 was committed and the crash
    // came before its confirmation. This instance has not written the SKU.
    let (sku, still_pending, completed) = ("SKU-LEFT", order_id(1), order_id(2));
    let at = time::OffsetDateTime::now_utc().unix_timestamp() - 3_600;
    let mut record = StockRecord { available: 8, reserved: 1, ..Default::default() };
    record.journal.insert(still_pending.clone(), JournalEntry { step: StockStep::Reserved, quantity: 1, at });
    record.journal.insert(completed.clone(), JournalEntry { step: StockStep::Committed, quantity: 1, at });
    stock.kv.create(sku, &record).await.expect("journal written");
    stock.orders.put(&still_pending, &order_after(&still_pending, sku, vec![])).await.expect("order 1");
    let paid = vec![Outcome::Reserved, Outcome::Captured { charge_id: "ch".into() }, Outcome::Completed];
    let done = order_after(&completed, sku, paid);
    stock.orders.put(&completed, &done).await.expect("order 2");

    // This instance's first write of the SKU sweeps it.
    let another = reserve(&order_id(3), &[(sku, 1)], run(1, false));
    assert!(matches!(stock.inventory.send(another).await.expect("mailbox"), Ok(Reservation::Reserved)));

    let record = eventually(
        || async {
            let record = stock.record(sku).await.value;
            (!record.journal.contains_key(&completed)).then_some(record)
        },
        Duration::from_secs(10),
    )
    .await;
    let left: Vec<&String> = record.journal.keys().collect();
    assert_eq!(left, [&still_pending, &order_id(3)], "a PENDING order's entry is still needed");
    assert_eq!((record.available, record.reserved), (7, 2), "confirmations change no stock");
}
