//! NATS headers on every `ORDER.*` message, replays included.

/// The order the event is about (a canonical UUID).
pub const ORDER_ID: &str = "Order-Id";
/// Deterministic per (order, event), see [`msg_id`]: the stream drops a
/// repeat inside its duplicate window, a consumer drops the rest.
pub const MSG_ID: &str = "Nats-Msg-Id";
/// W3C trace context of the step that published the event.
pub const TRACEPARENT: &str = "traceparent";
/// W3C vendor trace state, when the tracer sets one.
pub const TRACESTATE: &str = "tracestate";

/// `<order_id>:<event>`, e.g. `0193…:completed` (the `Nats-Msg-Id` of an
/// event; a replay uses `<order_id>:replayed:<dead-letter id>`).
pub fn msg_id(order_id: &str, kind: crate::EventKind) -> String {
    format!("{order_id}:{}", kind.name())
}
