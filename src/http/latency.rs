//! HTTP latency metric: `order_service_http_request_seconds` by method,
//! route pattern (not the raw path, so ids do not explode cardinality) and
//! status.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use std::time::Instant;

use crate::metrics::HttpLabel;

/// Middleware (use with `actix_web::middleware::from_fn`) recording every
/// request's latency into the app's metrics.
pub async fn record_latency<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req.app_data::<actix_web::web::Data<crate::http::AppState>>().map(|s| s.metrics.clone());
    let method = req.method().to_string();
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
    let response = next.call(req).await?;
    if let Some(metrics) = metrics {
        let label = HttpLabel { method, route, status: response.status().as_u16() };
        metrics.http_request_seconds.get_or_create(&label).observe(started.elapsed().as_secs_f64());
    }
    Ok(response)
}
