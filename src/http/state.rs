//! Shared handles for handlers.

use actix::Addr;
use std::sync::Arc;

use crate::actors::intake::IntakeActor;
use crate::actors::inventory::InventoryActor;
use crate::bridge::DeadLetterActor;
use crate::config::Secret;
use crate::metrics::Metrics;
use crate::ops::{OpsView, Sources};
use crate::readiness::Readiness;

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

impl AppState {
    /// What the operator views read.
    pub fn ops_sources(&self) -> Sources<'_> {
        Sources {
            view: &self.ops,
            readiness: &self.readiness,
            metrics: &self.metrics,
            intake: &self.intake,
            dead_letters: &self.dead_letters,
            admin_token_set: self.admin_token.is_some(),
        }
    }
}
