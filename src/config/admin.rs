//! The `admin` section: who may reach the admin routes and what the
//! operator console may do and show (fault injection, trace links, query
//! and stream bounds, the stuck-order threshold).

use std::time::Duration;

use super::Secret;
use super::parse::Parser;

/// The operator side of the service.
#[derive(Debug, Clone)]
pub struct AdminSettings {
    /// `ADMIN_TOKEN`: bearer token required by admin routes when set.
    pub token: Option<Secret>,
    /// `FAULT_INJECTION`: `true` enables `POST /api/actors/{name}/crash`.
    pub fault_injection: bool,
    /// `JAEGER_UI_URL`: base URL of the Jaeger UI for the dashboard's trace links.
    pub jaeger_ui_url: String,
    /// `ORDER_QUERY_MAX_RECORDS`: most order records one `GET /api/orders`
    /// reads; a wider window answers 422 `window_too_wide`.
    pub order_query_max_records: u64,
    /// `DASHBOARD_STREAM_CLIENTS`: most concurrent `/api/stream` clients;
    /// one more answers 503.
    pub dashboard_stream_clients: usize,
    /// `STUCK_ORDER_SECS`: an order that has not progressed for this long is
    /// reported as stuck (metric + log).
    pub stuck_after: Duration,
}

impl Default for AdminSettings {
    fn default() -> Self {
        Self {
            token: None,
            fault_injection: false,
            jaeger_ui_url: "http://localhost:16686".into(),
            order_query_max_records: 50_000,
            dashboard_stream_clients: 16,
            stuck_after: Duration::from_secs(120),
        }
    }
}

impl AdminSettings {
    pub(super) fn read(p: &mut Parser<'_>) -> Self {
        let d = Self::default();
        Self {
            token: p.text("ADMIN_TOKEN").map(Secret),
            fault_injection: p.parse("FAULT_INJECTION", d.fault_injection),
            jaeger_ui_url: p.url("JAEGER_UI_URL").unwrap_or(d.jaeger_ui_url),
            order_query_max_records: p.bounded(
                "ORDER_QUERY_MAX_RECORDS",
                d.order_query_max_records as usize,
                1,
                10_000_000,
            ) as u64,
            dashboard_stream_clients: p.bounded("DASHBOARD_STREAM_CLIENTS", d.dashboard_stream_clients, 1, 1024),
            stuck_after: p.secs("STUCK_ORDER_SECS", d.stuck_after),
        }
    }
}
