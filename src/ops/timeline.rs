//! One order's timeline as an operator sees it: its record (status
//! history), its events with stream sequences and times, its payment claim,
//! and a link to its trace. The intake actor reads the parts from NATS
//! (`GetTimeline`); this module only shapes them. An event whose stored
//! message cannot be read is listed without its subject and time.

use serde::Serialize;
use serde_json::{Value, json};

use crate::bridge::StoredEvent;
use crate::domain::{Order, PaymentRecord};

#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    pub order: Order,
    pub events: Vec<TimelineEvent>,
    pub payment: Option<PaymentRecord>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimelineEvent {
    pub event: String,
    pub sequence: u64,
    #[serde(flatten)]
    pub stored: Option<StoredEvent>,
}

impl Timeline {
    /// The `GET /api/orders/{id}/timeline` body: the timeline, a `trace_url`
    /// into the Jaeger UI at `jaeger_ui_url` (null without a trace id), and
    /// no payment token.
    pub fn operator_json(&self, jaeger_ui_url: &str) -> Value {
        let trace_url =
            self.order.trace_id.as_ref().map(|id| format!("{}/trace/{id}", jaeger_ui_url.trim_end_matches('/')));
        let mut body = json!(self);
        body["trace_url"] = json!(trace_url);
        // A provider token is not for operators' eyes.
        if let Some(order) = body.get_mut("order").and_then(Value::as_object_mut) {
            order.remove("payment_token");
        }
        body
    }
}
