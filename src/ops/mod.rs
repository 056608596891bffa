//! The operator read side: everything the dashboard and the admin JSON API
//! (`/api/*`) read. Counters fed by the actors on the hot path — worker
//! pool occupancy, per-second throughput and latency (held in
//! `Metrics::throughput`, which the hot path already has), orders in
//! progress and stuck — closed each second by one sampler, and the views
//! built from them and from the actors' handles: the overview and actor
//! tree, the `/api/stream` snapshot, the order list's query and paging, one
//! order's timeline.
//!
//! It is not a source of truth: the counters live in memory, per instance,
//! start empty on restart, and never block or fail the order path. The
//! views read NATS only through actors (`ListOrders`, `GetTimeline`,
//! `GetConsumerHealth`); this module never sees async-nats. A view whose
//! actor fails says so in its answer (the consumer's `{"error"}`) or
//! returns the actor's error for the handler to map; a malformed order
//! list parameter is a [`BadQuery`].

mod order_list;
mod order_query;
mod overview;
mod pool;
mod sampler;
mod snapshot_hub;
mod throughput;
mod timeline;
mod tracker;
mod view;

pub use order_list::{BadQuery, Listing, ORDER_QUERY_DEADLINE, parse_query};
pub use order_query::{Cursor, OrderPage, OrderQuery, OrderRow, PageBuilder};
pub use overview::{Sources, actors_json, overview_json, snapshot_json};
pub use pool::{PoolStats, WorkerStatsView};
pub use sampler::spawn_sampler;
pub use snapshot_hub::{ClientSlot, SnapshotHub};
pub use throughput::{Sample, Throughput};
pub use timeline::{Timeline, TimelineEvent};
pub use tracker::{OrderTracker, StuckOrder};
pub use view::OpsView;
