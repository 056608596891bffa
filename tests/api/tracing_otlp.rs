//! One order is one trace. The real binary (telemetry is global per
//! process) exports spans over OTLP/HTTP to a receiver inside the test,
//! which decodes `ExportTraceServiceRequest`; the test then checks that the
//! HTTP request, the consumer, the actors and the payment call share one
//! trace id with the right parent links, and that the payment provider got
//! the order's `traceparent`. Also: SIGTERM exits promptly even when the
//! collector accepts connections but never answers.

use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer::DeliverPolicy, consumer::pull::OrderedConfig};
use futures::StreamExt;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use serde_json::{Value, json};

use crate::helpers::start_service;
use crate::helpers::{ApiClient, WAIT, order_body};
use crate::otlp::{ExportedSpan, OtlpReceiver};
use support::nats::NatsServer;
use support::provider::FakePaymentProvider;

const SERVICE_NAME: &str = "order-service-under-test";

/// The spans of one completed order, found by name.
const ORDER_SPANS: [&str; 8] = [
    "POST /orders",
    "order.place",
    "order.consume",
    "order.saga",
    "inventory.reserve",
    "payment.capture",
    "payment.http",
    "inventory.commit",
];

/// Waits until every span of `ORDER_SPANS` and three `saga.step`s arrived
/// (any trace: the test runs one order), or gives up after `WAIT` and
/// returns what came, so the assertions can say what is missing.
async fn wait_for_order_spans(receiver: &OtlpReceiver) -> Vec<ExportedSpan> {
    let deadline = Instant::now() + WAIT;
    loop {
        let spans = receiver.spans();
        let has = |name: &str| spans.iter().any(|s| s.name == name);
        let steps = spans.iter().filter(|s| s.name == "saga.step").count();
        if (ORDER_SPANS.iter().all(|n| has(n)) && steps >= 3) || Instant::now() > deadline {
            return spans;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Looks spans up by name and checks links, naming the broken one.
struct Trace<'a> {
    spans: &'a [ExportedSpan],
}

impl<'a> Trace<'a> {
    fn named(&self, name: &str) -> &'a ExportedSpan {
        let mut found = self.spans.iter().filter(|s| s.name == name);
        let span = found.next().unwrap_or_else(|| panic!("no `{name}` span was exported; got:\n{}", self.dump()));
        assert!(found.next().is_none(), "more than one `{name}` span:\n{}", self.dump());
        span
    }

    fn step(&self, status: &str) -> &'a ExportedSpan {
        let mut found = self
            .spans
            .iter()
            .filter(|s| s.name == "saga.step" && s.attributes.get("step").is_some_and(|v| v == status));
        found.next().unwrap_or_else(|| panic!("no `saga.step` span with step={status}; got:\n{}", self.dump()))
    }

    /// `child`'s parent is `parent`, in the same trace.
    fn assert_parent(&self, child: &ExportedSpan, parent: &ExportedSpan) {
        assert_eq!(
            (&child.trace_id, &child.parent_id),
            (&parent.trace_id, &parent.span_id),
            "`{}` is not a child of `{}` (trace id, parent span id):\n{}",
            child.name,
            parent.name,
            self.dump()
        );
    }

    /// The names on the way from `span` up to its root.
    fn ancestry(&self, span: &ExportedSpan) -> Vec<String> {
        let mut names = vec![span.name.clone()];
        let mut current = span;
        while let Some(parent) =
            self.spans.iter().find(|s| !current.parent_id.is_empty() && s.span_id == current.parent_id)
        {
            names.push(parent.name.clone());
            current = parent;
            if names.len() > self.spans.len() {
                break;
            }
        }
        names
    }

    fn dump(&self) -> String {
        let line =
            |s: &ExportedSpan| format!("  {} trace={} span={} parent={}", s.name, s.trace_id, s.span_id, s.parent_id);
        self.spans.iter().filter(|s| !s.name.starts_with("GET ")).map(line).collect::<Vec<_>>().join("\n")
    }
}

/// `traceparent` headers of the order's events in `ORDERS`, by subject.
async fn event_traceparents(nats_url: &str) -> Vec<(String, Option<String>)> {
    let js = jetstream::new(async_nats::connect(nats_url).await.expect("connect to nats"));
    let stream = js.get_stream("ORDERS").await.expect("stream ORDERS");
    let config =
        OrderedConfig { filter_subject: "ORDER.*".into(), deliver_policy: DeliverPolicy::All, ..Default::default() };
    let mut messages = stream.create_consumer(config).await.expect("consumer").messages().await.expect("messages");
    let mut out = Vec::new();
    loop {
        let msg = tokio::time::timeout(WAIT, messages.next()).await.expect("ORDERS read").expect("end").expect("msg");
        let traceparent = msg.headers.as_ref().and_then(|h| h.get("traceparent")).map(|v| v.as_str().to_string());
        out.push((msg.subject.to_string(), traceparent));
        if msg.info().expect("jetstream info").pending == 0 {
            return out;
        }
    }
}

fn trace_id_of(traceparent: &str) -> &str {
    traceparent.split('-').nth(1).unwrap_or_default()
}

/// Checks the parent links of one completed order's spans; returns the
/// HTTP span (the root) and the payment call span.
fn assert_order_links<'a>(trace: &Trace<'a>, order_id: &str) -> (&'a ExportedSpan, &'a ExportedSpan) {
    let http = trace.named("POST /orders");
    assert_eq!((http.kind, http.parent_id.as_str()), (SpanKind::Server as i32, ""), "HTTP span is a server root");
    assert_eq!(http.service, SERVICE_NAME, "OTEL_SERVICE_NAME is the resource's service.name");
    let place = trace.named("order.place");
    assert_eq!(place.attributes.get("order_id").map(String::as_str), Some(order_id));
    trace.assert_parent(place, http);
    let consume = trace.named("order.consume");
    assert_eq!(consume.kind, SpanKind::Consumer as i32);
    trace.assert_parent(consume, place);
    assert_eq!(trace.ancestry(consume), ["order.consume", "order.place", "POST /orders"]);
    let saga = trace.named("order.saga");
    trace.assert_parent(saga, consume);
    let (pending, reserved, captured) =
        (trace.step("PENDING"), trace.step("STOCK_RESERVED"), trace.step("PAYMENT_CAPTURED"));
    for step in [pending, reserved, captured] {
        trace.assert_parent(step, saga);
    }
    trace.assert_parent(trace.named("inventory.reserve"), pending);
    let capture = trace.named("payment.capture");
    trace.assert_parent(capture, reserved);
    let call = trace.named("payment.http");
    assert_eq!(call.kind, SpanKind::Client as i32);
    trace.assert_parent(call, capture);
    trace.assert_parent(trace.named("inventory.commit"), captured);

    (http, call)
}

#[actix_web::test]
async fn one_order_is_one_trace_from_the_http_request_to_the_payment_provider() {
    let receiver = OtlpReceiver::start();
    let provider = FakePaymentProvider::start();
    let nats = NatsServer::start().await;
    let env = [
        ("NATS_URL", nats.url()),
        ("PAYMENT_GATEWAY_URL", provider.url.as_str()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ("OTEL_SERVICE_NAME", SERVICE_NAME),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ];
    let service = start_service(&env).await;
    let api = ApiClient::new(service.address.clone(), nats.url());
    api.stock("SKU-A", 5).await;

    let order_id = api.place_order(&order_body("cust-1", &[("SKU-A", 2, 1250)], "tok_visa")).await;
    assert_eq!(api.wait_terminal(&order_id).await["status"], "COMPLETED");
    let spans = wait_for_order_spans(&receiver).await;
    let trace = Trace { spans: &spans };

    let (http, call) = assert_order_links(&trace, &order_id);

    let trace_id = &http.trace_id;
    let provider_saw: Vec<_> = provider.requests().into_iter().map(|r| r.traceparent).collect();
    assert_eq!(provider_saw, [Some(format!("00-{trace_id}-{}-01", call.span_id))], "traceparent at the provider");
    let events = event_traceparents(nats.url()).await;
    assert_eq!(events.len(), 4, "one order's events: {events:?}");
    for (subject, traceparent) in &events {
        let id = traceparent.as_deref().map(trace_id_of);
        assert_eq!(id, Some(trace_id.as_str()), "{subject} keeps the order's trace");
    }
    let timeline: Value = api.get(&format!("/api/orders/{order_id}/timeline")).await.json().await.expect("timeline");
    assert_eq!(timeline["order"]["trace_id"], json!(trace_id), "the order record keeps its trace id");
}

/// Accepts TCP connections and never answers (nor reads) on them.
async fn blackhole() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind blackhole");
    let url = format!("http://{}", listener.local_addr().expect("blackhole address"));
    let task = actix_web::rt::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (url, task)
}

/// Runs an order with spans queued for a collector that never answers,
/// then SIGTERM: the process must drain, give up on the flush and exit 0.
async fn sigterm_exits_promptly_with_a_silent_collector(protocol: &str) {
    let (collector, holder) = blackhole().await;
    let nats = NatsServer::start().await;
    let env = [
        ("NATS_URL", nats.url()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        ("OTEL_SERVICE_NAME", SERVICE_NAME),
    ];
    let mut service = start_service(&env).await;
    let api = ApiClient::new(service.address.clone(), nats.url());
    api.stock("SKU-A", 5).await;
    let order_id = api.place_order(&order_body("cust-1", &[("SKU-A", 1, 100)], "tok_visa")).await;
    assert_eq!(api.wait_terminal(&order_id).await["status"], "COMPLETED");

    let started = Instant::now();
    let status = service.terminate(Duration::from_secs(20)).await;
    let elapsed = started.elapsed();
    holder.abort();

    let logs = service.logs();
    let status = status.unwrap_or_else(|| panic!("{protocol}: still running 20 s after SIGTERM:\n{logs}"));
    assert!(status.success(), "{protocol}: exit status {status}:\n{logs}");
    assert!(elapsed < Duration::from_secs(10), "{protocol}: took {elapsed:?} to exit after SIGTERM:\n{logs}");
}

#[actix_web::test]
async fn sigterm_exits_promptly_when_the_grpc_collector_never_answers() {
    sigterm_exits_promptly_with_a_silent_collector("grpc").await;
}

#[actix_web::test]
async fn sigterm_exits_promptly_when_the_http_collector_never_answers() {
    sigterm_exits_promptly_with_a_silent_collector("http/protobuf").await;
}
