//! One `OrderActor` per order, running the order's saga:
//! reserve stock → capture payment → complete, or release stock → fail;
//! then settling the delivery that asked for the run.

mod actor;
mod claim;
mod error;
mod keep_alive;
mod load;
mod saga;
mod settle;
mod steps;

pub use actor::{Assignment, OrderActor};
pub use error::{SagaError, SagaErrorKind};
pub use keep_alive::KeepAlive;
pub use saga::SagaDeps;
pub(crate) use settle::dead_letter;
pub use settle::{SettleSettings, keep_alive_period};
