//! Subscriber set-up: a `tracing` subscriber (text or JSON lines, filtered
//! by `RUST_LOG`) and an OpenTelemetry layer, always: spans get trace and
//! span ids and the W3C context is propagated (log lines, order records
//! and the dashboard carry a trace id) whether or not anything is
//! exported. When `OTEL_EXPORTER_OTLP_ENDPOINT` is set, spans are exported
//! over OTLP (gRPC by default, `OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf`
//! for HTTP) — Jaeger ingests OTLP natively; without it, spans are sampled
//! out (ids only, nothing recorded). Exporter failures are logged, never
//! fatal after start-up.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::config::{LogFormat, TelemetrySettings};

/// Keeps the tracer provider alive; call [`Telemetry::shutdown`] at exit.
#[derive(Debug, Default)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("cannot build the OTLP exporter: {0}")]
    Exporter(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("cannot install the tracing subscriber: {0}")]
    Subscriber(#[from] tracing_subscriber::util::TryInitError),
}

type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// Installs the global subscriber. Call once, inside the actix system (the
/// gRPC exporter's channel task runs on the current runtime).
pub fn init(settings: &TelemetrySettings) -> Result<Telemetry, TelemetryError> {
    // The OTLP HTTP client needs a rustls provider before it is built.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt: BoxedLayer = match settings.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer().json().with_current_span(true).with_span_list(true).boxed(),
        LogFormat::Text => tracing_subscriber::fmt::layer().boxed(),
    };
    let provider = match &settings.otel_endpoint {
        Some(endpoint) => build_provider(endpoint, &settings.otel_service_name)?,
        None => ids_only_provider(),
    };
    let otel = trace_layer(&provider);
    opentelemetry::global::set_tracer_provider(provider.clone());
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let layers: Vec<BoxedLayer> = vec![fmt, otel];
    tracing_subscriber::registry().with(layers).with(filter).try_init()?;
    Ok(Telemetry { provider: Some(provider) })
}

/// A provider that exports nothing: spans still get ids and a context to
/// propagate, but every new trace is sampled out, so none is recorded
/// (a sampled parent from a caller is still honoured).
pub fn ids_only_provider() -> SdkTracerProvider {
    SdkTracerProvider::builder().with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOff))).build()
}

/// The `tracing` layer that gives spans OpenTelemetry contexts from `provider`.
pub fn trace_layer<S>(provider: &SdkTracerProvider) -> Box<dyn Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span> + Send + Sync,
{
    tracing_opentelemetry::layer().with_tracer(provider.tracer("order-service")).boxed()
}

/// `endpoint` is the configured base URL. When it came from the environment
/// the exporter reads `OTEL_EXPORTER_OTLP_*` itself (standard semantics);
/// when it came only from the config file it is passed explicitly.
fn build_provider(endpoint: &str, service_name: &str) -> Result<SdkTracerProvider, TelemetryError> {
    let protocol = std::env::var("OTEL_EXPORTER_OTLP_PROTOCOL").unwrap_or_else(|_| "grpc".into());
    let from_env = std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some();
    let exporter = match protocol.as_str() {
        "grpc" if from_env => SpanExporter::builder().with_tonic().build(),
        "grpc" => SpanExporter::builder().with_tonic().with_endpoint(endpoint).build(),
        // The blocking HTTP client must not be created on an async runtime
        // thread: build it on a plain thread.
        "http/protobuf" => {
            let traces_url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
            std::thread::spawn(move || {
                let builder = SpanExporter::builder().with_http().with_protocol(Protocol::HttpBinary);
                match from_env {
                    true => builder.build(),
                    false => builder.with_endpoint(traces_url).build(),
                }
            })
            .join()
            .map_err(|_| TelemetryError::Exporter("exporter thread panicked".into()))?
        }
        other => {
            return Err(TelemetryError::Exporter(
                format!("OTEL_EXPORTER_OTLP_PROTOCOL={other:?} is not grpc or http/protobuf").into(),
            ));
        }
    }
    .map_err(|e| TelemetryError::Exporter(e.into()))?;
    let resource = Resource::builder().with_service_name(service_name.to_string()).build();
    Ok(SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build())
}

impl Telemetry {
    /// Flushes and stops the exporter on a separate thread, so a slow or
    /// unreachable collector cannot block the actix thread that drives the
    /// gRPC channel; stops waiting after `within` (what is left of the
    /// shutdown budget).
    pub async fn shutdown(self, within: std::time::Duration) {
        let Some(provider) = self.provider else {
            return;
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let result = provider.shutdown();
            let _ = tx.send(result);
        });
        match tokio::time::timeout(within, rx).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => tracing::warn!(error = %e, "telemetry shutdown failed"),
            _ => tracing::warn!("telemetry shutdown timed out"),
        }
    }
}
