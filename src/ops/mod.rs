//! Operator views: live, in-memory statistics for the dashboard and its
//! JSON API — pool and mailbox occupancy, throughput and latency over the
//! last minutes, consumer health — and the order list's query and paging.
//! Nothing here is a source of truth; it is rebuilt from scratch on restart
//! and never blocks the order path.

mod order_query;
mod pool;
mod snapshot_hub;
mod throughput;

pub use order_query::{Cursor, OrderPage, OrderQuery, OrderRow, PageBuilder};
pub use pool::{PoolStats, WorkerStatsView};
pub use snapshot_hub::{ClientSlot, SnapshotHub};
pub use throughput::{Sample, Throughput};
