//! `InventoryActor`: the only writer of stock records.
//!
//! Every change goes through the SKU's group commit (`store`): one
//! compare-and-set write per batch, so concurrent reservations (other
//! tasks, other replicas) never oversell. Each change is journaled per
//! order until the order record confirms it (`domain::stock`), making
//! reserve/commit/release idempotent under redelivery. Runs under an actix `Supervisor`: a panic is contained,
//! counted, and the actor restarts with the same `Addr`.

use actix::{Actor, AsyncContext, Context, Handler, ResponseFuture, Supervised};
use std::sync::Arc;

use super::messages::*;
use super::prices::{PriceBook, PriceMismatch};
use super::store::StockStore;
use crate::actors::supervision::{self, SupervisedChild};
use crate::bridge::JsonKv;
use crate::domain::{Order, OrderItem, StockChange, StockLevels, StockRecord, StockStamp};
use crate::telemetry::TraceContext;
use tracing::Instrument;

#[derive(Debug)]
pub struct InventoryActor {
    stock: StockStore,
    prices: PriceBook,
    child: Arc<SupervisedChild>,
}

impl InventoryActor {
    /// The writer of the stock records in `stock`; `orders` is read to
    /// sweep journal entries whose confirmation was lost.
    pub fn new(stock: JsonKv<StockRecord>, orders: JsonKv<Order>, child: Arc<SupervisedChild>) -> Self {
        Self { stock: StockStore::new(stock, orders), prices: PriceBook::default(), child }
    }

    /// Answers with `fut`, a panic in it contained (see
    /// `supervision::contain`): the caller gets `Crashed`.
    fn contain<T: 'static>(
        &self,
        ctx: &Context<Self>,
        fut: impl std::future::Future<Output = Result<T, InventoryError>> + 'static,
    ) -> ResponseFuture<Result<T, InventoryError>> {
        supervision::contain(ctx.address(), self.child.clone(), fut, |m| {
            Err(InventoryError::with_source(InventoryErrorKind::Crashed, m))
        })
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

/// Applies `change` to `sku` on behalf of the run at `revision` in the SKU's next group
/// commit: prunes old fences, and refuses the change if the run is too old
/// (checked when the batch is decided) or superseded.
async fn apply(
    stock: &StockStore,
    sku: &str,
    order_id: &str,
    revision: OrderRevision,
    change: impl Fn(&mut StockRecord, StockStamp) -> StockChange + 'static,
) -> Result<(StockChange, StockLevels), InventoryError> {
    let (outcome, levels) = stock
        .modify(sku, move |r| match revision.at_now() {
            Some(now) => {
                r.prune(now.now);
                change(r, now)
            }
            None => StockChange::Superseded,
        })
        .await?;
    match outcome {
        StockChange::Superseded => Err(InventoryError::with_source(
            InventoryErrorKind::Superseded,
            format!("a newer run of order {order_id} owns its stock of {sku} (or this run is too old)"),
        )),
        _ => Ok((outcome, levels)),
    }
}

/// All or nothing: SKU by SKU in sorted order; when one SKU is short or
/// fails for any reason, the holds already taken are undone before the
/// answer, so no outcome of a reservation leaves stock locked.
async fn reserve(stock: StockStore, msg: ReserveStock) -> Result<Reservation, InventoryError> {
    let mut items = msg.items.clone();
    items.sort_by(|a, b| a.sku.cmp(&b.sku));
    for (index, item) in items.iter().enumerate() {
        let (id, quantity) = (msg.order_id.clone(), item.quantity);
        let held =
            apply(&stock, &item.sku, &msg.order_id, msg.revision, move |r, stamp| r.reserve(&id, quantity, stamp))
                .await;
        let (answer, failed_may_hold) = match held {
            Ok((StockChange::Insufficient, levels)) => {
                let (sku, available, wanted) = (item.sku.clone(), levels.available, item.quantity);
                (Ok(Reservation::OutOfStock { sku, available, wanted }), false)
            }
            Ok(_) => continue,
            // The write's outcome is unknown (a timeout may have stored it).
            Err(e) => (Err(e), true),
        };
        let undo: Vec<OrderItem> = items
            .iter()
            .enumerate()
            .filter(|(i, _)| may_hold(*i, index, failed_may_hold, msg.revision.contested))
            .map(|(_, item)| item.clone())
            .collect();
        undo_holds(&stock, &msg, &undo).await?;
        return answer;
    }
    Ok(Reservation::Reserved)
}

/// Whether the item at `i` may hold stock for the order when the
/// reservation stopped at `failed`: the earlier items do; the failed one if
/// its write's outcome is unknown; the later ones only if an earlier run of
/// the order (a contested one) may have reserved them.
fn may_hold(i: usize, failed: usize, failed_may_hold: bool, contested: bool) -> bool {
    i < failed || (i == failed && failed_may_hold) || (i > failed && contested)
}

/// Undoes the order's holds on `taken` (a SKU without one is left as it is,
/// see `StockRecord::unreserve`). Every SKU is tried even when one
/// fails; the first failure is returned (the order's next run, or its
/// dead-lettering, releases what is left).
async fn undo_holds(stock: &StockStore, msg: &ReserveStock, taken: &[OrderItem]) -> Result<(), InventoryError> {
    let mut first_error = None;
    for earlier in taken {
        let id = msg.order_id.clone();
        let undo =
            apply(stock, &earlier.sku, &msg.order_id, msg.revision, move |r, stamp| r.unreserve(&id, stamp)).await;
        if let Err(e) = undo {
            tracing::warn!(order_id = %msg.order_id, sku = %earlier.sku, error = %e, "could not undo a hold");
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// What [`settle`] does with each hold.
#[derive(Debug, Clone, Copy)]
enum Settle {
    Commit,
    Release,
    /// Undo a hold the order may take again (a `PENDING` order set aside).
    Unreserve,
}

/// Commits, releases or undoes each item's hold.
async fn settle(
    stock: StockStore,
    order_id: String,
    revision: OrderRevision,
    items: Vec<OrderItem>,
    how: Settle,
) -> Result<(), InventoryError> {
    for item in items {
        let (id, quantity) = (order_id.clone(), item.quantity);
        apply(&stock, &item.sku, &order_id, revision, move |r, stamp| match how {
            Settle::Commit => r.commit(&id, quantity, stamp),
            Settle::Release => r.release(&id, quantity, stamp),
            Settle::Unreserve => r.unreserve(&id, stamp),
        })
        .await?;
    }
    Ok(())
}

async fn set(stock: StockStore, prices: PriceBook, msg: SetStock) -> Result<StockLevels, InventoryError> {
    let (available, price) = (msg.available, msg.price);
    let (_, levels) = stock
        .modify(&msg.sku, move |r| {
            r.available = available;
            match price {
                PriceChange::Keep => {}
                PriceChange::Set(price) => r.price_minor = Some(price),
                PriceChange::Clear => r.price_minor = None,
            }
            StockChange::Applied
        })
        .await?;
    prices.remember(&msg.sku, levels.price_minor);
    Ok(levels)
}

impl Handler<ReserveStock> for InventoryActor {
    type Result = ResponseFuture<Result<Reservation, InventoryError>>;

    fn handle(&mut self, msg: ReserveStock, ctx: &mut Context<Self>) -> Self::Result {
        let span = traced("inventory.reserve", &msg.order_id, &msg.trace);
        self.contain(ctx, reserve(self.stock.clone(), msg).instrument(span))
    }
}

impl Handler<CommitStock> for InventoryActor {
    type Result = ResponseFuture<Result<(), InventoryError>>;

    fn handle(&mut self, msg: CommitStock, ctx: &mut Context<Self>) -> Self::Result {
        let span = traced("inventory.commit", &msg.order_id, &msg.trace);
        let settle = settle(self.stock.clone(), msg.order_id, msg.revision, msg.items, Settle::Commit);
        self.contain(ctx, settle.instrument(span))
    }
}

impl Handler<ReleaseStock> for InventoryActor {
    type Result = ResponseFuture<Result<(), InventoryError>>;

    fn handle(&mut self, msg: ReleaseStock, ctx: &mut Context<Self>) -> Self::Result {
        let span = traced("inventory.release", &msg.order_id, &msg.trace);
        let how = if msg.may_reserve_again { Settle::Unreserve } else { Settle::Release };
        let settle = settle(self.stock.clone(), msg.order_id, msg.revision, msg.items, how);
        self.contain(ctx, settle.instrument(span))
    }
}

impl Handler<ConfirmStock> for InventoryActor {
    type Result = ();

    fn handle(&mut self, msg: ConfirmStock, _ctx: &mut Context<Self>) {
        for sku in &msg.skus {
            self.stock.confirm(sku, msg.order_id.clone(), msg.step);
        }
    }
}

impl Handler<SetStock> for InventoryActor {
    type Result = ResponseFuture<Result<StockLevels, InventoryError>>;

    fn handle(&mut self, msg: SetStock, ctx: &mut Context<Self>) -> Self::Result {
        self.contain(ctx, set(self.stock.clone(), self.prices.clone(), msg))
    }
}

impl Handler<CheckPrices> for InventoryActor {
    type Result = ResponseFuture<Result<Option<PriceMismatch>, InventoryError>>;

    fn handle(&mut self, msg: CheckPrices, ctx: &mut Context<Self>) -> Self::Result {
        let (stock, prices) = (self.stock.clone(), self.prices.clone());
        self.contain(ctx, async move { prices.check(&stock, &msg.items).await })
    }
}

impl Handler<GetStock> for InventoryActor {
    type Result = ResponseFuture<Result<Option<StockLevels>, InventoryError>>;

    fn handle(&mut self, msg: GetStock, ctx: &mut Context<Self>) -> Self::Result {
        let stock = self.stock.clone();
        self.contain(ctx, async move { Ok(stock.read(&msg.sku).await?.map(|v| v.value.levels())) })
    }
}

impl Handler<supervision::Restart> for InventoryActor {
    type Result = ();

    fn handle(&mut self, _msg: supervision::Restart, ctx: &mut Context<Self>) {
        supervision::restart(ctx);
    }
}

impl Handler<supervision::InjectPanic> for InventoryActor {
    type Result = ResponseFuture<Result<(), String>>;

    fn handle(&mut self, msg: supervision::InjectPanic, ctx: &mut Context<Self>) -> Self::Result {
        supervision::inject_panic(ctx.address(), self.child.clone(), msg)
    }
}

#[cfg(test)]
mod tests {
    use super::may_hold;

    #[test]
    fn a_stopped_reservation_undoes_what_it_or_an_earlier_run_may_have_reserved() {
        // Stopped at item 1 of 3 by a shortfall, first run: only item 0.
        assert_eq!((0..3).map(|i| may_hold(i, 1, false, false)).collect::<Vec<_>>(), [true, false, false]);
        // By an error whose write may have landed: items 0 and 1.
        assert_eq!((0..3).map(|i| may_hold(i, 1, true, false)).collect::<Vec<_>>(), [true, true, false]);
        // A rerun may find holds of an earlier run on the later items too.
        assert_eq!((0..3).map(|i| may_hold(i, 1, false, true)).collect::<Vec<_>>(), [true, false, true]);
    }
}
