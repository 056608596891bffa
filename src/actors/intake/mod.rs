//! Intake: turns a validated HTTP request into an accepted order
//! (`ORDER.created` acknowledged by JetStream), honouring `Idempotency-Key`,
//! and answers order queries (one order, its timeline, the order list).

mod actor;
mod error;
mod idempotent;
mod listing;
mod timeline;

pub use actor::{GetOrder, IntakeActor, PlaceOrder, Placement};
pub use error::{IntakeError, IntakeErrorKind};
pub use listing::ListOrders;
pub use timeline::GetTimeline;
