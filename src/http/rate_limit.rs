//! Per-client rate limiting (governor, GCRA) keyed by peer IP: over the
//! limit → 429 with `Retry-After`. Probes (`/health`, `/ready`, `/metrics`)
//! are never limited. Disabled when `RATE_LIMIT_PER_SEC=0` (the default).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use super::ApiError;

/// The shared limiter; `None` = unlimited.
#[derive(Clone)]
pub struct RateLimit(Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>);

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "RateLimit(on)" } else { "RateLimit(off)" })
    }
}

impl RateLimit {
    /// `per_second` requests per client, bursts up to `burst`.
    pub fn new(per_second: u32, burst: u32) -> Self {
        let Some(rate) = NonZeroU32::new(per_second) else {
            return Self(None);
        };
        let burst = NonZeroU32::new(burst.max(per_second)).unwrap_or(rate);
        Self(Some(Arc::new(DefaultKeyedRateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)))))
    }
}

const EXEMPT: [&str; 3] = ["/health", "/ready", "/metrics"];

/// Middleware (with `from_fn`): answers 429 when the client is over its quota.
pub async fn limit_rate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let limiter = req.app_data::<web::Data<RateLimit>>().and_then(|l| l.0.clone());
    let peer = req.peer_addr().map(|a| a.ip());
    if let (Some(limiter), Some(ip)) = (limiter, peer)
        && !EXEMPT.contains(&req.path())
        && let Err(not_until) = limiter.check_key(&ip)
    {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let response = ApiError::RateLimited(secs.max(1)).error_response();
        return Ok(req.into_response(response));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}
