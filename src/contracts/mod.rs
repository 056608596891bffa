//! The wire contract: the `order-events` crate's prost types (generated from
//! `proto/orders/v1`) and the conversions between them and the domain.
//! Decoding untrusted payloads fails with [`ContractError`]; nothing here
//! panics on bad input.

mod convert;
mod event;

/// Generated protobuf types (package `orders.v1`), from `order-events`.
pub use order_events::v1 as proto;

pub use convert::{ContractError, order_from_created};
pub use event::OrderEvent;
pub use order_events::EventKind;
