//! Inventory: stock per SKU in the `inventory` KV bucket, changed only by the
//! supervised `InventoryActor` through compare-and-set writes.

mod actor;
mod messages;
mod store;

pub use actor::InventoryActor;
pub use messages::{CommitStock, GetStock, InventoryError, ReleaseStock, Reservation, ReserveStock, SagaRun, SetStock};
