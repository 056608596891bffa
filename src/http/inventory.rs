//! `PUT /inventory/{sku}` (admin: see `auth`) and `GET /inventory/{sku}`.
//! A PUT sets `available` and, optionally, the SKU's list price
//! `price_minor` (`null` removes it; absent keeps it).

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState, openapi};
use crate::actors::inventory::{GetStock, PriceChange, SetStock};
use crate::domain::{SKU_RULE, StockLevels, is_valid_sku, limits};

/// Upper bound on a SKU's stock (keeps sums far from overflow).
const MAX_AVAILABLE: u64 = 1_000_000_000_000;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SetStockBody {
    #[schema(minimum = 0, maximum = 1_000_000_000_000i64)]
    available: i64,
    /// The SKU's list price in minor units. Absent: keep; `null`: remove; a number: set.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 100_000_000_000i64)]
    price_minor: Option<Option<i64>>,
}

/// A field that is present (even as `null`) is `Some`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

#[derive(Serialize, utoipa::ToSchema)]
struct StockView<'a> {
    sku: &'a str,
    available: u64,
    reserved: u64,
    /// Present only when the SKU has a list price.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    price_minor: Option<i64>,
}

fn price_change(price: Option<Option<i64>>) -> Result<PriceChange, ApiError> {
    let max = limits::MAX_UNIT_PRICE_MINOR;
    match price {
        None => Ok(PriceChange::Keep),
        Some(None) => Ok(PriceChange::Clear),
        Some(Some(p)) if (0..=max).contains(&p) => Ok(PriceChange::Set(p)),
        Some(Some(_)) => Err(ApiError::Invalid(
            "invalid_stock",
            format!("price_minor must be an integer between 0 and {max} (minor units) or null"),
        )),
    }
}

fn checked_sku(sku: &str) -> Result<&str, ApiError> {
    match is_valid_sku(sku) {
        true => Ok(sku),
        false => Err(ApiError::Invalid("invalid_sku", SKU_RULE.into())),
    }
}

fn render(sku: &str, levels: &StockLevels) -> HttpResponse {
    let StockLevels { available, reserved, price_minor } = *levels;
    HttpResponse::Ok().json(StockView { sku, available, reserved, price_minor })
}

/// Sets available stock; holds of in-flight orders are kept.
#[utoipa::path(put, path = "/inventory/{sku}", operation_id = "set_stock", tag = "inventory", params(openapi::SkuPath),
    request_body(content = SetStockBody, description = "At most 64 KiB. Unknown fields are refused."),
    responses((status = 200, description = "The stock record.", body = StockView), openapi::SetStockErrors),
    security(("bearer" = [])))]
pub(super) async fn set(
    path: web::Path<String>,
    body: web::Json<SetStockBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let sku = checked_sku(&path)?;
    let available = u64::try_from(body.available).ok().filter(|n| *n <= MAX_AVAILABLE).ok_or_else(|| {
        ApiError::Invalid("invalid_stock", format!("available must be an integer between 0 and {MAX_AVAILABLE}"))
    })?;
    let price = price_change(body.price_minor)?;
    let record = state.inventory.send(SetStock { sku: sku.to_string(), available, price }).await??;
    Ok(render(sku, &record))
}

#[utoipa::path(get, path = "/inventory/{sku}", operation_id = "get_stock", tag = "inventory", params(openapi::SkuPath),
    responses((status = 200, description = "The stock record.", body = StockView), openapi::GetStockErrors))]
pub(super) async fn get(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let sku = checked_sku(&path)?;
    let record = state.inventory.send(GetStock { sku: sku.to_string() }).await??;
    let record = record.ok_or_else(|| ApiError::NotFound(format!("no stock record for sku {sku}")))?;
    Ok(render(sku, &record))
}
