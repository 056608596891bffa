//! `GET /api/orders` (admin): the operator's order list, newest first
//! (parameters and paging: [`crate::ops`]'s order list).
//!
//! Malformed parameters answer 400 `bad_request`. The read is bounded
//! (`ORDER_QUERY_MAX_RECORDS` records, [`ORDER_QUERY_DEADLINE`]): a window
//! whose records cannot be read within them answers 422
//! `window_too_wide`, asking for a narrower window.
//!
//! [`ORDER_QUERY_DEADLINE`]: crate::ops::ORDER_QUERY_DEADLINE

use actix_web::{HttpRequest, HttpResponse, web};
use time::OffsetDateTime;

use super::{ApiError, AppState, openapi};
use crate::actors::intake::ListOrders;
use crate::bridge::ScanError;
use crate::ops;

fn scan_error(e: ScanError) -> ApiError {
    match e {
        ScanError::TooWide { .. } | ScanError::TimedOut(_) => {
            ApiError::Invalid("window_too_wide", format!("{e}; narrow the window (a later since)"))
        }
        ScanError::Bridge(e) => ApiError::from(e),
    }
}

#[utoipa::path(get, path = "/api/orders", operation_id = "list_orders", tag = "admin", security(("bearer" = [])),
    params(openapi::OrderListQuery),
    responses((status = 200, description = "One page of orders, newest first.", body = openapi::OrderList),
        openapi::OrderListErrors))]
pub(super) async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let query = ops::parse_query(req.query_string(), OffsetDateTime::now_utc())
        .map_err(|e| ApiError::Malformed("bad_request", e.to_string()))?;
    let window = (query.since, query.until);
    let listing = state.intake.send(ListOrders { query, limits: state.ops.order_query }).await?.map_err(scan_error)?;
    Ok(HttpResponse::Ok().json(listing.to_json(window)))
}
