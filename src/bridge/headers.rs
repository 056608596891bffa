//! Headers every event carries: `Order-Id` and a deterministic
//! `Nats-Msg-Id` per (order, event), so a retried publish is deduplicated by
//! the stream inside its duplicate window.

use async_nats::HeaderMap;

use crate::contracts::EventKind;
use crate::telemetry::TraceContext;

pub(crate) const ORDER_ID: &str = order_events::headers::ORDER_ID;
pub(crate) const MSG_ID: &str = order_events::headers::MSG_ID;
pub(crate) const TRACEPARENT: &str = order_events::headers::TRACEPARENT;
pub(crate) const TRACESTATE: &str = order_events::headers::TRACESTATE;

/// `<order_id>:<event>`, e.g. `0193…:created`.
pub fn msg_id(order_id: &str, kind: EventKind) -> String {
    order_events::headers::msg_id(order_id, kind)
}

pub(crate) fn for_event(order_id: &str, kind: EventKind, trace: &TraceContext) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in trace.pairs() {
        headers.insert(name, value);
    }
    headers.insert(ORDER_ID, order_id);
    headers.insert(MSG_ID, msg_id(order_id, kind).as_str());
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msg_id_is_deterministic_per_order_and_event() {
        assert_eq!(msg_id("o-1", EventKind::Completed), "o-1:completed");
        let h = for_event("o-1", EventKind::Created, &TraceContext::default());
        assert_eq!(h.get(ORDER_ID).map(|v| v.as_str()), Some("o-1"));
        assert_eq!(h.get(MSG_ID).map(|v| v.as_str()), Some("o-1:created"));
    }
}
