//! Shared handles for handlers.

use actix::Addr;
use std::sync::Arc;

use crate::actors::intake::IntakeActor;
use crate::actors::inventory::InventoryActor;
use crate::actors::order::OrderTracker;
use crate::actors::supervision::SupervisionTree;
use crate::bridge::{DeadLetterActor, JetStreamConsumer};
use crate::config::Secret;
use crate::metrics::Metrics;
use crate::ops::PoolStats;
use crate::readiness::Readiness;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct AppState {
    pub intake: Addr<IntakeActor>,
    pub inventory: Addr<InventoryActor>,
    pub dead_letters: Addr<DeadLetterActor>,
    /// Bearer token for admin routes (`ADMIN_TOKEN`); `None` = open.
    pub admin_token: Option<Secret>,
    pub readiness: Arc<Readiness>,
    pub metrics: Arc<Metrics>,
    pub ops: OpsView,
}

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
    pub payment: Addr<crate::actors::payment::PaymentActor>,
    /// What one `GET /api/orders` may read.
    pub order_query: crate::bridge::ScanLimits,
    /// The shared per-second snapshot behind `/api/stream`.
    pub stream: Arc<crate::ops::SnapshotHub>,
}
