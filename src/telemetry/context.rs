//! `TraceContext`: a W3C trace context (`traceparent`, `tracestate`) carried
//! in actor messages and NATS headers.
//!
//! Messages capture the sender's current span context; the receiver parents
//! its span on it (message spans are never parented under a long-lived
//! actor span). Without an OpenTelemetry layer the context is empty and
//! everything still works.

use opentelemetry::propagation::{Extractor, Injector};
use std::collections::HashMap;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Propagation fields (`traceparent`, `tracestate`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceContext(HashMap<String, String>);

struct Carrier<'a>(&'a mut HashMap<String, String>);

impl Injector for Carrier<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.to_string(), value);
    }
}

impl Extractor for TraceContext {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

impl TraceContext {
    /// The context of the current `tracing` span.
    pub fn current() -> Self {
        Self::of(&tracing::Span::current())
    }

    /// The context of `span`.
    pub fn of(span: &tracing::Span) -> Self {
        let mut fields = HashMap::new();
        let cx = span.context();
        opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&cx, &mut Carrier(&mut fields)));
        Self(fields)
    }

    /// Builds a context from header pairs (e.g. NATS message headers).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let fields = pairs
            .into_iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("traceparent") || k.eq_ignore_ascii_case("tracestate"))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect();
        Self(fields)
    }

    /// Makes `span` a child of this context (no-op when empty).
    pub fn parent(&self, span: &tracing::Span) {
        if self.0.is_empty() {
            return;
        }
        let cx = opentelemetry::global::get_text_map_propagator(|p| p.extract(self));
        let _ = span.set_parent(cx);
    }

    /// The fields to write as headers.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The trace id, if any (32 hex digits from `traceparent`).
    pub fn trace_id(&self) -> Option<&str> {
        let tp = self.0.get("traceparent")?;
        let id = tp.split('-').nth(1)?;
        (id.len() == 32 && id != "00000000000000000000000000000000").then_some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_propagation_headers_are_kept_and_trace_id_is_read() {
        let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let cx = TraceContext::from_pairs([("Traceparent", tp), ("Order-Id", "x")]);
        assert_eq!(cx.pairs().count(), 1);
        assert_eq!(cx.trace_id(), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
    }

    #[test]
    fn without_an_exporter_spans_still_carry_a_trace_id_to_their_children() {
        use tracing_subscriber::layer::SubscriberExt;
        opentelemetry::global::set_text_map_propagator(opentelemetry_sdk::propagation::TraceContextPropagator::new());
        let provider = crate::telemetry::ids_only_provider();
        let subscriber = tracing_subscriber::registry().with(crate::telemetry::trace_layer(&provider));
        tracing::subscriber::with_default(subscriber, || {
            let request = tracing::info_span!("request");
            let sent = TraceContext::of(&request);
            let trace_id = sent.trace_id().expect("a trace id without any exporter").to_string();
            let receiver = tracing::info_span!("receiver");
            sent.parent(&receiver);
            assert_eq!(TraceContext::of(&receiver).trace_id(), Some(trace_id.as_str()), "propagated");
        });
    }

    #[test]
    fn without_a_subscriber_the_context_is_empty() {
        assert_eq!(TraceContext::current(), TraceContext::default());
    }
}
