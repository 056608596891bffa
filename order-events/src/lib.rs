//! The `ORDER.*` event contract of order-service, for the teams that consume
//! it without calling the service: the prost types generated from
//! `proto/orders/v1/events.proto` ([`v1`]), the stream and subject names
//! ([`EventKind`], [`STREAM`]) and the headers every event carries
//! ([`headers`]). The catalogue (when each event is published, ordering,
//! duplicates, retention) is `docs/events.md` in the repository.
//!
//! Decoding is prost's: a payload that is not the named message fails with
//! [`prost::DecodeError`]; nothing here panics on bad input.
//!
//! ```
//! use order_events::{Event, EventKind};
//! use prost::Message as _;
//!
//! let completed = order_events::v1::OrderCompleted { order_id: "o-1".into(), ..Default::default() };
//! let kind = EventKind::from_subject("ORDER.completed").expect("an order event");
//! let event = Event::decode(kind, &completed.encode_to_vec()).expect("decodes");
//! assert!(matches!(event, Event::Completed(c) if c.order_id == "o-1"));
//! ```

mod event;
pub mod headers;

pub use event::{Event, EventKind};
/// `google.protobuf.Timestamp` and the other well-known types the
/// messages use.
pub use prost_types;

/// Generated protobuf types of package `orders.v1`.
#[allow(unreachable_pub, missing_debug_implementations, missing_docs, clippy::all)]
pub mod v1 {
    include!(concat!(env!("OUT_DIR"), "/orders.v1.rs"));
}

/// The JetStream stream holding every order event.
pub const STREAM: &str = "ORDERS";
/// The subjects of [`STREAM`]: `ORDER.<event>`.
pub const SUBJECTS: &str = "ORDER.*";
