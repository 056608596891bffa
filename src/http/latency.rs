//! HTTP latency metric: `order_service_http_request_seconds` by method,
//! route pattern and status. Every label comes from a fixed set, so no
//! request can grow `/metrics`: unknown methods are `other`, paths are the
//! route pattern (ids do not count) and unmatched paths are `unmatched`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
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
    let method = method_label(req.method());
    let route = req.match_pattern().unwrap_or_else(|| UNMATCHED.into());
    let response = next.call(req).await?;
    if let Some(metrics) = metrics {
        let label = HttpLabel { method: method.into(), route, status: response.status().as_u16() };
        metrics.http_request_seconds.get_or_create(&label).observe(started.elapsed().as_secs_f64());
    }
    Ok(response)
}

/// The route label of a path no route matched.
const UNMATCHED: &str = "unmatched";

/// The method as a label: one of the standard methods, or `other`.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::DELETE, "DELETE"),
        (Method::PATCH, "PATCH"),
        (Method::HEAD, "HEAD"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::CONNECT, "CONNECT"),
        (Method::TRACE, "TRACE"),
    ];
    KNOWN.iter().find(|(m, _)| m == method).map_or("other", |(_, label)| label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_methods_keep_their_name_and_others_become_other() {
        assert_eq!(method_label(&Method::POST), "POST");
        let odd = Method::from_bytes(b"XYZZY").expect("a token");
        assert_eq!(method_label(&odd), "other");
    }
}
