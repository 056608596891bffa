//! The admin guard: a middleware that decides every admin request before
//! any handler, path or query extractor runs, so a malformed admin request
//! without credentials is a 401/403, never a parse error.
//!
//! Admin routes are `/dlq…`, `/api/…` and `PUT /inventory/…` ([`is_admin`]).
//! - With `ADMIN_TOKEN` set they need `Authorization: Bearer <token>` (the
//!   scheme is case-insensitive, RFC 6750; the token is compared in constant
//!   time and never logged) → else 401.
//! - Without it they are open to loopback clients only, and only under a
//!   loopback `Host` name (a DNS-rebound page cannot reach them) → else 403.
//! - State-changing admin requests (any method but GET/HEAD) must carry the
//!   bearer header or `Content-Type: application/json`, and a foreign
//!   `Origin` is refused: a cross-site form post can send neither → 403.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{ResponseError, mime, web};
use subtle::ConstantTimeEq;

use super::{ApiError, AppState};

/// Whether `method path` is an operator action or read.
pub(super) fn is_admin(method: &Method, path: &str) -> bool {
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    under("/dlq") || path.starts_with("/api/") || (method == Method::PUT && path.starts_with("/inventory/"))
}

/// Middleware (with `from_fn`): answers 401/403 for admin requests that are
/// not allowed; passes everything else through untouched.
pub async fn guard_admin(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if is_admin(req.method(), req.path()) {
        let token = req.app_data::<web::Data<AppState>>().and_then(|s| s.admin_token.clone());
        if let Err(refused) = check(&req, token.as_ref().map(|t| t.0.as_str())) {
            return Ok(req.into_response(refused.error_response()));
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

fn check(req: &ServiceRequest, token: Option<&str>) -> Result<(), ApiError> {
    match token {
        Some(expected) => check_bearer(req, expected)?,
        None => check_local(req)?,
    }
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        check_not_cross_site(req)?;
    }
    Ok(())
}

/// The bearer credentials of `req`, if any (`Bearer`, any case).
fn bearer(req: &ServiceRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credentials) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| credentials.trim())
}

fn check_bearer(req: &ServiceRequest, expected: &str) -> Result<(), ApiError> {
    let presented = bearer(req).unwrap_or_default();
    match bool::from(presented.as_bytes().ct_eq(expected.as_bytes())) {
        true => Ok(()),
        false => Err(ApiError::Unauthorized),
    }
}

/// No token configured: loopback peers under a loopback host name only.
fn check_local(req: &ServiceRequest) -> Result<(), ApiError> {
    let peer_is_loopback = req.peer_addr().is_some_and(|a| a.ip().is_loopback());
    if !peer_is_loopback {
        return Err(ApiError::Forbidden("ADMIN_TOKEN is not set: admin routes answer loopback clients only".into()));
    }
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    if !is_loopback_host(host) {
        return Err(ApiError::Forbidden(
            "ADMIN_TOKEN is not set: admin routes answer only under localhost, 127.0.0.1 or [::1]".into(),
        ));
    }
    Ok(())
}

/// `localhost`, `127.x.y.z` or `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A state change must not come from a cross-site form: it carries the
/// bearer header or a JSON content type, and no foreign `Origin`.
fn check_not_cross_site(req: &ServiceRequest) -> Result<(), ApiError> {
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
        .is_some_and(|m| m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON));
    if bearer(req).is_none() && !json {
        return Err(ApiError::Forbidden(
            "admin changes need Content-Type: application/json or an Authorization: Bearer header".into(),
        ));
    }
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
        if !same_origin(origin.to_str().unwrap_or_default(), host) {
            return Err(ApiError::Forbidden("cross-origin admin requests are refused".into()));
        }
    }
    Ok(())
}

/// Whether `origin` (`scheme://host[:port]`) names the host the request was
/// sent to.
fn same_origin(origin: &str, host: &str) -> bool {
    origin.split_once("://").is_some_and(|(_, authority)| !host.is_empty() && authority.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_routes_are_dlq_api_and_stock_changes() {
        assert!(is_admin(&Method::GET, "/dlq"));
        assert!(is_admin(&Method::POST, "/dlq/abc/replay"));
        assert!(is_admin(&Method::GET, "/api/overview"));
        assert!(is_admin(&Method::PUT, "/inventory/SKU-1"));
        assert!(!is_admin(&Method::GET, "/inventory/SKU-1"));
        assert!(!is_admin(&Method::GET, "/dlqx"));
        assert!(!is_admin(&Method::POST, "/orders"));
    }

    #[test]
    fn loopback_hosts_are_recognised_with_and_without_ports() {
        for good in ["localhost", "localhost:8080", "127.0.0.1:8080", "[::1]:8080", "[::1]", "LOCALHOST"] {
            assert!(is_loopback_host(good), "{good}");
        }
        for bad in ["evil.example", "evil.example:8080", "10.0.0.1:8080", "", "localhost.evil.example"] {
            assert!(!is_loopback_host(bad), "{bad}");
        }
    }

    #[test]
    fn same_origin_compares_the_authority_with_the_host_header() {
        assert!(same_origin("http://127.0.0.1:8080", "127.0.0.1:8080"));
        assert!(!same_origin("http://evil.example", "127.0.0.1:8080"));
        assert!(!same_origin("null", "127.0.0.1:8080"));
    }
}
