//! Operator views: live, in-memory statistics for the dashboard and its
//! JSON API — pool and mailbox occupancy, throughput and latency over the
//! last minutes, consumer health. Nothing here is a source of truth; it is
//! rebuilt from scratch on restart and never blocks the order path.

mod pool;
mod throughput;

pub use pool::{PoolStats, WorkerStatsView};
pub use throughput::{Sample, Throughput};
