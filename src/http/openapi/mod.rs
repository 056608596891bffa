//! `GET /openapi.json`: the OpenAPI 3.1 document of every route, generated
//! from the handlers' annotations ([`ApiDoc`]) and served without a token.
//! A copy is committed as `docs/openapi.json`; a test fails when they differ
//! (`make openapi` rewrites the copy). Building the document cannot fail.

mod doc;
mod errors;
mod rules;
mod schemas;

pub(super) use doc::ApiDoc;
pub(super) use errors::{
    AdminLookupErrors, AdminReadErrors, CrashErrors, GetOrderErrors, GetStockErrors, ListDeadLettersErrors,
    OrderListErrors, PlaceOrderErrors, PublicErrors, SetStockErrors, StaticFileErrors, StreamErrors,
};
pub(super) use schemas::{
    ActorTree, CrashResult, DeadLetterList, Health, IdempotencyKey, OrderList, OrderListQuery, Overview, Readiness,
    SkuPath, Timeline,
};

use actix_web::HttpResponse;
use std::sync::LazyLock;
use utoipa::OpenApi;

/// The document as pretty JSON with a final newline, built once.
pub fn openapi_json() -> &'static str {
    static JSON: LazyLock<String> = LazyLock::new(|| {
        let mut text = ApiDoc::openapi().to_pretty_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        text.push('\n');
        text
    });
    &JSON
}

/// `GET /openapi.json`.
#[utoipa::path(get, path = "/openapi.json", tag = "operations", operation_id = "openapi",
    responses((status = 200, description = "This document (OpenAPI 3.1).", body = Object,
        content_type = "application/json"), PublicErrors))]
pub(super) async fn document() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(openapi_json())
}
