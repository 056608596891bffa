//! `OtlpReceiver`: an OTLP/HTTP trace collector on 127.0.0.1:0 for the
//! trace tests. It accepts `POST /v1/traces` with `application/x-protobuf`,
//! decodes `ExportTraceServiceRequest` (opentelemetry-proto's prost types)
//! and keeps every span flattened, ids in hex, with its resource's
//! `service.name`. Answers an empty `ExportTraceServiceResponse`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use actix_web::{HttpRequest, HttpResponse, web};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value};
use prost::Message as _;

/// One exported span, ids in lower-case hex (an empty parent = a root).
#[derive(Debug, Clone)]
pub(crate) struct ExportedSpan {
    pub(crate) service: String,
    pub(crate) name: String,
    pub(crate) kind: i32,
    pub(crate) trace_id: String,
    pub(crate) span_id: String,
    pub(crate) parent_id: String,
    pub(crate) attributes: HashMap<String, String>,
}

/// An OTLP/HTTP trace receiver on 127.0.0.1:0 (`POST /v1/traces`).
pub(crate) struct OtlpReceiver {
    pub(crate) url: String,
    spans: Arc<Mutex<Vec<ExportedSpan>>>,
    server: actix_web::dev::ServerHandle,
}

impl OtlpReceiver {
    pub(crate) fn start() -> Self {
        let spans = Arc::new(Mutex::new(Vec::new()));
        let data = web::Data::from(spans.clone());
        let (address, handle) = crate::helpers::serve_on_loopback("OTLP receiver", move |cfg| {
            cfg.app_data(data.clone())
                .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
                .route("/v1/traces", web::post().to(receive));
        });
        Self { url: format!("http://{address}"), spans, server: handle }
    }

    /// Every span received so far.
    pub(crate) fn spans(&self) -> Vec<ExportedSpan> {
        lock(&self.spans).clone()
    }
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        actix_web::rt::spawn(self.server.stop(false));
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn receive(req: HttpRequest, body: web::Bytes, spans: web::Data<Mutex<Vec<ExportedSpan>>>) -> HttpResponse {
    let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if content_type != "application/x-protobuf" {
        return HttpResponse::UnsupportedMediaType().finish();
    }
    let Ok(request) = ExportTraceServiceRequest::decode(body) else {
        return HttpResponse::BadRequest().finish();
    };
    lock(&spans).extend(flatten(request));
    HttpResponse::Ok()
        .content_type("application/x-protobuf")
        .body(ExportTraceServiceResponse::default().encode_to_vec())
}

fn flatten(request: ExportTraceServiceRequest) -> Vec<ExportedSpan> {
    let mut out = Vec::new();
    for resource_spans in request.resource_spans {
        let resource = resource_spans.resource.map(|r| attributes(&r.attributes)).unwrap_or_default();
        let service = resource.get("service.name").cloned().unwrap_or_default();
        for span in resource_spans.scope_spans.into_iter().flat_map(|s| s.spans) {
            out.push(ExportedSpan {
                service: service.clone(),
                name: span.name,
                kind: span.kind,
                trace_id: hex::encode(span.trace_id),
                span_id: hex::encode(span.span_id),
                parent_id: hex::encode(span.parent_span_id),
                attributes: attributes(&span.attributes),
            });
        }
    }
    out
}

fn attributes(pairs: &[KeyValue]) -> HashMap<String, String> {
    let text = |value: &any_value::Value| match value {
        any_value::Value::StringValue(s) => s.clone(),
        any_value::Value::IntValue(i) => i.to_string(),
        any_value::Value::BoolValue(b) => b.to_string(),
        any_value::Value::DoubleValue(d) => d.to_string(),
        other => format!("{other:?}"),
    };
    pairs.iter().filter_map(|kv| Some((kv.key.clone(), text(kv.value.as_ref()?.value.as_ref()?)))).collect()
}
