//! One `OrderActor` per order, running the order's saga:
//! reserve stock → capture payment → complete, or release stock → fail;
//! then settling the delivery that asked for the run.

mod actor;
mod saga;
mod settle;
mod steps;
mod tracker;

pub use actor::{Assignment, OrderActor};
pub use saga::{SagaDeps, SagaError};
pub use settle::SettleSettings;
pub(crate) use settle::dead_letter;
pub use tracker::{OrderTracker, StuckOrder};
