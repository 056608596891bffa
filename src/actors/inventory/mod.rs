//! Inventory: stock per SKU in the `inventory` KV bucket, changed only by the
//! supervised `InventoryActor` through group commits (one compare-and-set
//! write per batch of changes to a SKU).

mod actor;
mod error;
mod lane;
mod messages;
mod prices;
mod store;
mod sweep;

pub use actor::InventoryActor;
pub use messages::{
    CheckPrices, CommitStock, ConfirmStock, GetStock, InventoryError, InventoryErrorKind, OrderRevision, PriceChange,
    ReleaseStock, Reservation, ReserveStock, SetStock,
};
pub use prices::PriceMismatch;
