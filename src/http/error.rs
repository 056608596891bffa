//! `ApiError`: every HTTP error, rendered as `{"error":{"code","message"}}`.
//! 503s carry `Retry-After`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::error::{Error, ErrorKind};

/// Seconds a client should wait before retrying after a 503.
const RETRY_AFTER_SECS: &str = "1";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is not well-formed (bad JSON, bad header).
    #[error("{1}")]
    Malformed(&'static str, String),
    /// 422: well-formed but breaks a rule.
    #[error("{1}")]
    Invalid(&'static str, String),
    #[error("{0}")]
    NotFound(String),
    #[error("missing or wrong bearer token")]
    Unauthorized,
    /// 403: refused whoever asks this way (see `http::auth`).
    #[error("{0}")]
    Forbidden(String),
    /// 429: over the per-client rate limit; retry after this many seconds.
    #[error("too many requests; retry after {0} s")]
    RateLimited(u64),
    #[error("request body exceeds {0} bytes")]
    TooLarge(usize),
    /// 408: the request body did not arrive in time; the connection closes.
    #[error("request body not received in time (HTTP_BODY_TIMEOUT_SECS)")]
    RequestTimeout,
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 503: a dependency (NATS) is unavailable; nothing was accepted.
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    fn code(&self) -> &'static str {
        match self {
            Self::Malformed(code, _) | Self::Invalid(code, _) => code,
            Self::NotFound(_) => "not_found",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::RateLimited(_) => "rate_limited",
            Self::TooLarge(_) => "payload_too_large",
            Self::RequestTimeout => "request_timeout",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Malformed(..) => StatusCode::BAD_REQUEST,
            Self::Invalid(..) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(detail) = self {
            tracing::error!(detail, "internal error answered 500");
        }
        let mut response = HttpResponse::build(self.status_code());
        if let Self::RateLimited(secs) = self {
            response.insert_header(("Retry-After", secs.to_string()));
        }
        if matches!(self, Self::RequestTimeout) {
            response.insert_header((actix_web::http::header::CONNECTION, "close"));
        }
        if matches!(self, Self::Unauthorized) {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        if matches!(self, Self::Unavailable(_)) {
            response.insert_header(("Retry-After", RETRY_AFTER_SECS));
        }
        response.json(json!({"error": {"code": self.code(), "message": self.to_string()}}))
    }
}

/// The one mapping of a classified failure to HTTP: a refused request →
/// 422 with the kind's code, transient → 503 `unavailable` (+ Retry-After),
/// permanent → 500 `internal` (detail logged).
impl<K: ErrorKind> From<Error<K>> for ApiError {
    fn from(e: Error<K>) -> Self {
        if let Some(code) = e.kind().refusal() {
            return Self::Invalid(code, e.to_string());
        }
        match e.is_transient() {
            true => Self::Unavailable(e.to_string()),
            false => Self::Internal(e.to_string()),
        }
    }
}

impl From<actix::MailboxError> for ApiError {
    fn from(e: actix::MailboxError) -> Self {
        Self::Unavailable(format!("service busy or restarting: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actors::intake::{IntakeError, IntakeErrorKind};
    use crate::bridge::{BridgeError, BridgeErrorKind};

    fn answer(e: ApiError) -> (u16, String) {
        let response = e.error_response();
        (response.status().as_u16(), e.code().to_string())
    }

    #[test]
    fn a_classified_error_maps_to_503_500_or_its_refusal_code() {
        let transient = ApiError::from(BridgeError::new(BridgeErrorKind::Disconnected));
        assert!(transient.error_response().headers().contains_key("Retry-After"));
        assert_eq!(answer(transient), (503, "unavailable".into()));
        assert_eq!(answer(BridgeError::rejected("invalid key").into()), (500, "internal".into()));
        let reused = IntakeError::new(IntakeErrorKind::KeyReused);
        assert_eq!(answer(reused.into()), (422, "idempotency_key_reused".into()));
    }
}
