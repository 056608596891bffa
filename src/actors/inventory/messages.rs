//! Messages of the inventory actor.

use std::time::{Duration, Instant};

use crate::domain::{FENCE_RETENTION_SECS, OrderItem, StockLevels, StockStamp, StockStep};
use crate::telemetry::TraceContext;

pub use super::error::{InventoryError, InventoryErrorKind};

/// A saga run older than this never writes stock: fences outlive it
/// (see `domain::stock`).
const MAX_RUN_AGE: Duration = Duration::from_secs(FENCE_RETENTION_SECS.unsigned_abs() / 2);

/// The order-record revision a saga run acts on, as the run read it; the
/// actor turns it into the [`StockStamp`] of each stock change it makes.
#[derive(Debug, Clone, Copy)]
pub struct OrderRevision {
    /// Revision of the order record the step is based on.
    pub token: u64,
    /// Another run of this order's saga may be running.
    pub contested: bool,
    /// When the run read that revision.
    pub loaded_at: Instant,
}

impl OrderRevision {
    /// The stamp of a change made now, or `None` if the revision was read
    /// too long ago to be trusted with a write.
    pub fn at_now(&self) -> Option<StockStamp> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        (self.loaded_at.elapsed() < MAX_RUN_AGE).then_some(StockStamp {
            token: self.token,
            contested: self.contested,
            now,
        })
    }
}

/// Hold stock for every item of an order, or none of it.
#[derive(Debug, actix::Message)]
#[rtype(result = "Result<Reservation, InventoryError>")]
pub struct ReserveStock {
    pub order_id: String,
    pub revision: OrderRevision,
    pub items: Vec<OrderItem>,
    pub trace: TraceContext,
}

/// Result of [`ReserveStock`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    Reserved,
    /// `sku` had less available than ordered (or no stock record).
    OutOfStock {
        sku: String,
        available: u64,
        wanted: u32,
    },
}

/// Turn an order's holds (the quantities of its items) into sales.
#[derive(Debug, actix::Message)]
#[rtype(result = "Result<(), InventoryError>")]
pub struct CommitStock {
    pub order_id: String,
    pub revision: OrderRevision,
    pub items: Vec<OrderItem>,
    pub trace: TraceContext,
}

/// Return an order's holds (the quantities of its items) to available stock.
#[derive(Debug, actix::Message)]
#[rtype(result = "Result<(), InventoryError>")]
pub struct ReleaseStock {
    pub order_id: String,
    pub revision: OrderRevision,
    pub items: Vec<OrderItem>,
    /// `true`: the order may reserve again later (a `PENDING` order set
    /// aside as a dead letter, which a replay re-drives); `false`: the hold
    /// is settled for good (compensation).
    pub may_reserve_again: bool,
    pub trace: TraceContext,
}

/// The order record now shows the outcome of `step` on these SKUs: their
/// journal entries for the order can go (with each SKU's next write).
#[derive(Debug, actix::Message)]
#[rtype(result = "()")]
pub struct ConfirmStock {
    pub order_id: String,
    pub skus: Vec<String>,
    pub step: StockStep,
}

/// Set the available stock of a SKU (holds are kept), and its list price.
#[derive(Debug, actix::Message)]
#[rtype(result = "Result<StockLevels, InventoryError>")]
pub struct SetStock {
    pub sku: String,
    pub available: u64,
    pub price: PriceChange,
}

/// What a stock change does to the SKU's list price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceChange {
    Keep,
    Set(i64),
    /// No list price: any client price is accepted.
    Clear,
}

/// Find the first item whose unit price differs from its SKU's list price.
#[derive(Debug, actix::Message)]
#[rtype(result = "Result<Option<super::PriceMismatch>, InventoryError>")]
pub struct CheckPrices {
    pub items: Vec<OrderItem>,
}

/// Read a SKU's stock; `None` if it was never stocked.
#[derive(Debug, actix::Message)]
#[rtype(result = "Result<Option<StockLevels>, InventoryError>")]
pub struct GetStock {
    pub sku: String,
}
