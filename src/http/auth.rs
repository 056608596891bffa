//! Bearer-token guard for admin routes: when `ADMIN_TOKEN` is set, requests
//! must carry `Authorization: Bearer <token>`. Compared in constant time;
//! the token is never logged.

use actix_web::HttpRequest;
use actix_web::http::header;
use subtle::ConstantTimeEq;

use super::{ApiError, AppState};

/// Ok when no token is configured or the request carries it.
pub(super) fn require_admin(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    let Some(expected) = &state.admin_token else {
        return Ok(());
    };
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    match bool::from(presented.as_bytes().ct_eq(expected.0.as_bytes())) {
        true => Ok(()),
        false => Err(ApiError::Unauthorized),
    }
}
