//! The `telemetry` section: log line format and OTLP trace export; read by
//! `telemetry::init`.

use super::parse::Parser;

/// Logs and traces.
#[derive(Debug, Clone)]
pub struct TelemetrySettings {
    /// `LOG_FORMAT`: `text` (default) or `json`.
    pub log_format: LogFormat,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`: export traces over OTLP when set.
    pub otel_endpoint: Option<String>,
    /// `OTEL_SERVICE_NAME`.
    pub otel_service_name: String,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        Self { log_format: LogFormat::Text, otel_endpoint: None, otel_service_name: "order-service".into() }
    }
}

impl TelemetrySettings {
    pub(super) fn read(p: &mut Parser<'_>) -> Self {
        let d = Self::default();
        Self {
            log_format: log_format(p, "LOG_FORMAT"),
            otel_endpoint: p.text("OTEL_EXPORTER_OTLP_ENDPOINT"),
            otel_service_name: p.text("OTEL_SERVICE_NAME").unwrap_or(d.otel_service_name),
        }
    }
}

fn log_format(p: &mut Parser<'_>, name: &str) -> LogFormat {
    match p.text(name).as_deref() {
        None | Some("text") => LogFormat::Text,
        Some("json") => LogFormat::Json,
        Some(other) => p.fail(name, other, "must be `text` or `json`", LogFormat::Text),
    }
}
