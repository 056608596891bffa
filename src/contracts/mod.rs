//! The wire contract: prost types generated from `proto/orders/v1` and the
//! conversions between them and the domain. Decoding untrusted payloads fails
//! with [`ContractError`]; nothing here panics on bad input.

mod convert;
mod event;

/// Generated protobuf types (package `orders.v1`).
#[allow(unreachable_pub, missing_debug_implementations, clippy::all)]
pub mod proto {
    include!(concat!(env!("OUT_DIR"), "/orders.v1.rs"));
}

pub use convert::{ContractError, order_from_created};
pub use event::{EventKind, OrderEvent};
