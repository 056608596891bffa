//! [`OpsView`]: the handles the operator read side reads from — counters
//! fed by the actors, and the actors it asks (the consumer's health, the
//! supervision tree) — and the settings of its views. Cloned into every
//! HTTP worker; holds nothing that can fail.

use actix::Addr;
use std::sync::Arc;
use std::time::Duration;

use super::{OrderTracker, PoolStats, SnapshotHub};
use crate::actors::inventory::InventoryActor;
use crate::actors::payment::PaymentActor;
use crate::actors::supervision::SupervisionTree;
use crate::bridge::{JetStreamConsumer, ScanLimits};

/// Handles for the operator dashboard and its JSON API.
#[derive(Debug, Clone)]
pub struct OpsView {
    pub tree: SupervisionTree,
    pub pool: Arc<PoolStats>,
    pub tracker: Arc<OrderTracker>,
    pub consumer: Addr<JetStreamConsumer>,
    pub stuck_after: Duration,
    /// Base URL of the Jaeger UI for trace links.
    pub jaeger_ui_url: String,
    /// `POST /api/actors/{name}/crash` answers only when true.
    pub fault_injection: bool,
    pub inventory: Addr<InventoryActor>,
    pub payment: Addr<PaymentActor>,
    /// What one `GET /api/orders` may read.
    pub order_query: ScanLimits,
    /// The shared per-second snapshot behind `/api/stream`.
    pub stream: Arc<SnapshotHub>,
}
