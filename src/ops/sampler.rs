//! The per-second sampler of the operator statistics: closes the
//! throughput second, sets the pool gauges, and reports orders without
//! progress (gauge `order_service_stuck_orders`, one warning log per
//! order). One plain task on the System arbiter for the life of the
//! service; nothing in it can fail.

use std::sync::Arc;
use std::time::Duration;

use super::{OrderTracker, PoolStats};
use crate::metrics::Metrics;

/// Starts the sampler; `threshold` is `STUCK_ORDER_SECS`. Must run inside
/// an actix `System`.
pub fn spawn_sampler(tracker: Arc<OrderTracker>, metrics: Arc<Metrics>, threshold: Duration, pool: Arc<PoolStats>) {
    actix::spawn(async move {
        let capacity = (pool.size() * pool.mailbox_bound()).max(1) as i64;
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let (queued, in_flight) = pool.totals();
            metrics.throughput.tick(in_flight);
            metrics.stuck_orders.set(tracker.stuck(threshold).len() as i64);
            metrics.pool_queued.set(queued);
            metrics.pool_utilisation_percent.set(in_flight * 100 / capacity);
        }
    });
}
