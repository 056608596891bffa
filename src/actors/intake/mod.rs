//! Intake: turns a validated HTTP request into an accepted order
//! (`ORDER.created` acknowledged by JetStream), honouring `Idempotency-Key`,
//! and answers order queries.

mod actor;
mod idempotent;
mod timeline;

pub use actor::{GetOrder, IntakeActor, IntakeError, PlaceOrder, Placement};
pub use timeline::{GetTimeline, Timeline, TimelineEvent};
