//! Two runs of one order's saga overlapping (a paused instance resuming
//! after its message was redelivered): the inventory actor, writing to a
//! real KV bucket, refuses the older run's stock changes once a newer run
//! of a contested order has touched the SKU.

use actix::{Actor, Addr};
use order_service::actors::inventory::{
    CommitStock, GetStock, InventoryActor, InventoryErrorKind, OrderRevision, PriceChange, ReserveStock, SetStock,
};
use order_service::actors::supervision::{RestartPolicy, SupervisedChild};
use order_service::bridge::JsonKv;
use order_service::domain::{OrderItem, StockRecord};
use order_service::metrics::Metrics;
use order_service::telemetry::TraceContext;
use std::sync::Arc;
use std::time::Instant;

use crate::helpers::test_settings;
use support::nats::NatsServer;

const ORDER: &str = "0190b2a4-0000-7000-8000-000000000001";
const SKU: &str = "SKU-STALE";

/// A nats-server and an inventory actor on it with 10 of `SKU` available,
/// and the bucket it writes (to read the whole record, fences included).
async fn stocked_inventory() -> (NatsServer, Addr<InventoryActor>, JsonKv<StockRecord>) {
    let nats = NatsServer::start().await;
    let handles = order_service::bridge::connect(&test_settings(nats.url())).await.expect("connect to NATS");
    let child = SupervisedChild::new("inventory", RestartPolicy::default(), Arc::new(Metrics::new()));
    let inventory = InventoryActor::new(handles.inventory.clone(), handles.orders.clone(), child).start();
    let set = SetStock { sku: SKU.into(), available: 10, price: PriceChange::Keep };
    inventory.send(set).await.expect("mailbox").expect("stock set");
    (nats, inventory, handles.inventory.clone())
}

fn run(token: u64, contested: bool) -> OrderRevision {
    OrderRevision { token, contested, loaded_at: Instant::now() }
}

fn reserve(run: OrderRevision) -> ReserveStock {
    let items = vec![OrderItem { sku: SKU.into(), quantity: 2, unit_price_minor: 100 }];
    ReserveStock { order_id: ORDER.into(), revision: run, items, trace: TraceContext::default() }
}

async fn stock(inventory: &Addr<InventoryActor>) -> (u64, u64) {
    let levels = inventory.send(GetStock { sku: SKU.into() }).await.expect("mailbox").expect("read").expect("stocked");
    (levels.available, levels.reserved)
}

#[actix_web::test]
async fn a_stale_run_cannot_reserve_again_after_a_newer_run_committed_the_order() {
    let (_nats, inventory, _bucket) = stocked_inventory().await;

    // The newer run (order record revision 5, contested) reserves and sells.
    inventory.send(reserve(run(5, true))).await.expect("mailbox").expect("reserved");
    let commit = CommitStock {
        order_id: ORDER.into(),
        revision: run(7, true),
        items: vec![OrderItem { sku: SKU.into(), quantity: 2, unit_price_minor: 100 }],
        trace: TraceContext::default(),
    };
    inventory.send(commit).await.expect("mailbox").expect("committed");
    assert_eq!(stock(&inventory).await, (8, 0));

    // The paused first run read the order at revision 1 and now resumes.
    let stale = inventory.send(reserve(run(1, false))).await.expect("mailbox");

    assert!(matches!(stale, Err(ref e) if e.kind() == InventoryErrorKind::Superseded), "{stale:?}");
    assert_eq!(stock(&inventory).await, (8, 0), "the stale run must not hold stock again");
}

#[actix_web::test]
async fn an_uncontested_replay_is_idempotent_and_leaves_no_fence() {
    let (_nats, inventory, bucket) = stocked_inventory().await;

    for _ in 0..2 {
        inventory.send(reserve(run(1, false))).await.expect("mailbox").expect("reserved");
    }

    assert_eq!(stock(&inventory).await, (8, 2));
    let record = bucket.get(SKU).await.expect("read").expect("stocked").value;
    assert!(record.fences.is_empty(), "{:?}", record.fences);
}
