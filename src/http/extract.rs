//! Error handlers for actix's path and query extractors, so a bad path
//! segment or query string answers the JSON error shape, not plain text.

use actix_web::web;

use super::ApiError;

/// A path segment that does not parse names nothing: 404.
pub(super) fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|err, req| ApiError::NotFound(format!("no resource at {}: {err}", req.path())).into())
}

/// A query string that does not parse is a malformed request: 400.
pub(super) fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|err, _req| ApiError::Malformed("invalid_query", format!("query string: {err}")).into())
}
