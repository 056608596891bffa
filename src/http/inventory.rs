//! `PUT /inventory/{sku}` and `GET /inventory/{sku}`.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState};
use crate::actors::inventory::{GetStock, SetStock};
use crate::domain::{SKU_RULE, StockRecord, is_valid_sku};

/// Upper bound on a SKU's stock (keeps sums far from overflow).
const MAX_AVAILABLE: u64 = 1_000_000_000_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SetStockBody {
    available: i64,
}

#[derive(Serialize)]
struct StockView<'a> {
    sku: &'a str,
    available: u64,
    reserved: u64,
}

fn checked_sku(sku: &str) -> Result<&str, ApiError> {
    match is_valid_sku(sku) {
        true => Ok(sku),
        false => Err(ApiError::Invalid("invalid_sku", SKU_RULE.into())),
    }
}

fn render(sku: &str, record: &StockRecord) -> HttpResponse {
    HttpResponse::Ok().json(StockView { sku, available: record.available, reserved: record.reserved })
}

/// Sets available stock; holds of in-flight orders are kept.
pub(super) async fn set(
    path: web::Path<String>,
    body: web::Json<SetStockBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let sku = checked_sku(&path)?;
    let available = u64::try_from(body.available).ok().filter(|n| *n <= MAX_AVAILABLE).ok_or_else(|| {
        ApiError::Invalid("invalid_stock", format!("available must be an integer between 0 and {MAX_AVAILABLE}"))
    })?;
    let record = state.inventory.send(SetStock { sku: sku.to_string(), available }).await??;
    Ok(render(sku, &record))
}

pub(super) async fn get(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let sku = checked_sku(&path)?;
    let record = state.inventory.send(GetStock { sku: sku.to_string() }).await??;
    let record = record.ok_or_else(|| ApiError::NotFound(format!("no stock record for sku {sku}")))?;
    Ok(render(sku, &record))
}
