//! `InventoryActor`: the only writer of stock records.
//!
//! Every change is a read-modify-CAS loop on one SKU record, so concurrent
//! reservations (other tasks, other replicas) never oversell. Holds are per
//! order inside the record, making reserve/commit/release idempotent under
//! redelivery. Runs under an actix `Supervisor`: a panic is contained,
//! counted, and the actor restarts with the same `Addr`.

use actix::{Actor, Context, Handler, ResponseActFuture, Supervised};
use std::sync::Arc;

use super::messages::*;
use super::store::StockStore;
use crate::actors::supervision::{self, SupervisedChild};
use crate::bridge::JsonKv;
use crate::domain::{StockChange, StockRecord};
use crate::telemetry::TraceContext;
use tracing::Instrument;

#[derive(Debug)]
pub struct InventoryActor {
    stock: StockStore,
    child: Arc<SupervisedChild>,
}

impl InventoryActor {
    pub fn new(stock: JsonKv<StockRecord>, child: Arc<SupervisedChild>) -> Self {
        Self { stock: StockStore::new(stock), child }
    }

    fn run<T: 'static>(
        &self,
        fut: impl std::future::Future<Output = Result<T, InventoryError>> + 'static,
    ) -> ResponseActFuture<Self, Result<T, InventoryError>> {
        supervision::contain(self.child.clone(), fut, |m| Err(InventoryError::Crashed(m)))
    }
}

/// A span for one message, parented on the sender's trace context.
fn traced(name: &'static str, order_id: &str, trace: &TraceContext) -> tracing::Span {
    let span =
        tracing::info_span!("inventory", otel.name = name, order_id, trace_id = trace.trace_id().unwrap_or_default());
    trace.parent(&span);
    span
}

impl Actor for InventoryActor {
    type Context = Context<Self>;
}

impl Supervised for InventoryActor {
    fn restarting(&mut self, ctx: &mut Context<Self>) {
        self.child.restarting(ctx);
    }
}

async fn reserve(stock: StockStore, msg: ReserveStock) -> Result<Reservation, InventoryError> {
    let mut items = msg.items.clone();
    items.sort_by(|a, b| a.sku.cmp(&b.sku));
    for (index, item) in items.iter().enumerate() {
        let (outcome, record) = stock.modify(&item.sku, |r| r.reserve(&msg.order_id, item.quantity)).await?;
        if outcome == StockChange::Insufficient {
            release_all(&stock, &msg.order_id, items[..index].iter().map(|i| i.sku.as_str())).await?;
            let (sku, available, wanted) = (item.sku.clone(), record.available, item.quantity);
            return Ok(Reservation::OutOfStock { sku, available, wanted });
        }
    }
    Ok(Reservation::Reserved)
}

async fn release_all<'a>(
    stock: &StockStore,
    order_id: &str,
    skus: impl Iterator<Item = &'a str>,
) -> Result<(), InventoryError> {
    for sku in skus {
        stock.modify(sku, |r| r.release(order_id)).await?;
    }
    Ok(())
}

async fn commit_all(stock: StockStore, msg: CommitStock) -> Result<(), InventoryError> {
    for sku in &msg.skus {
        stock.modify(sku, |r| r.commit(&msg.order_id)).await?;
    }
    Ok(())
}

async fn set(stock: StockStore, msg: SetStock) -> Result<StockRecord, InventoryError> {
    let (_, record) = stock
        .modify(&msg.sku, |r| {
            r.available = msg.available;
            StockChange::Applied
        })
        .await?;
    Ok(record)
}

impl Handler<ReserveStock> for InventoryActor {
    type Result = ResponseActFuture<Self, Result<Reservation, InventoryError>>;

    fn handle(&mut self, msg: ReserveStock, _ctx: &mut Context<Self>) -> Self::Result {
        let span = traced("inventory.reserve", &msg.order_id, &msg.trace);
        self.run(reserve(self.stock.clone(), msg).instrument(span))
    }
}

impl Handler<CommitStock> for InventoryActor {
    type Result = ResponseActFuture<Self, Result<(), InventoryError>>;

    fn handle(&mut self, msg: CommitStock, _ctx: &mut Context<Self>) -> Self::Result {
        let span = traced("inventory.commit", &msg.order_id, &msg.trace);
        self.run(commit_all(self.stock.clone(), msg).instrument(span))
    }
}

impl Handler<ReleaseStock> for InventoryActor {
    type Result = ResponseActFuture<Self, Result<(), InventoryError>>;

    fn handle(&mut self, msg: ReleaseStock, _ctx: &mut Context<Self>) -> Self::Result {
        let stock = self.stock.clone();
        let span = traced("inventory.release", &msg.order_id, &msg.trace);
        let release = async move { release_all(&stock, &msg.order_id, msg.skus.iter().map(String::as_str)).await };
        self.run(release.instrument(span))
    }
}

impl Handler<SetStock> for InventoryActor {
    type Result = ResponseActFuture<Self, Result<StockRecord, InventoryError>>;

    fn handle(&mut self, msg: SetStock, _ctx: &mut Context<Self>) -> Self::Result {
        self.run(set(self.stock.clone(), msg))
    }
}

impl Handler<GetStock> for InventoryActor {
    type Result = ResponseActFuture<Self, Result<Option<StockRecord>, InventoryError>>;

    fn handle(&mut self, msg: GetStock, _ctx: &mut Context<Self>) -> Self::Result {
        let stock = self.stock.clone();
        self.run(async move { Ok(stock.read(&msg.sku).await?.map(|v| v.value)) })
    }
}

impl Handler<supervision::InjectPanic> for InventoryActor {
    type Result = ResponseActFuture<Self, Result<(), String>>;

    fn handle(&mut self, msg: supervision::InjectPanic, _ctx: &mut Context<Self>) -> Self::Result {
        supervision::inject_panic(self.child.clone(), msg)
    }
}
