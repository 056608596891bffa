//! `POST /orders` and `GET /orders/{id}`.

use actix_web::error::{JsonPayloadError, PayloadError};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::{ApiError, AppState, MAX_BODY_BYTES, openapi};
use crate::actors::intake::{GetOrder, PlaceOrder};
use crate::actors::inventory::CheckPrices;
use crate::domain::{FailureReason, NewOrder, Order, OrderId, OrderItem, OrderStatus, Rule, ValidationError};
use crate::telemetry::TraceContext;

const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// JSON extractor limits and error mapping for order bodies.
pub(super) fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(MAX_BODY_BYTES).error_handler(|err, _req| json_error(err).into())
}

fn json_error(err: JsonPayloadError) -> ApiError {
    match err {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::TooLarge(MAX_BODY_BYTES)
        }
        JsonPayloadError::ContentType => {
            ApiError::UnsupportedMediaType("Content-Type must be application/json (or a +json type)".into())
        }
        JsonPayloadError::Payload(PayloadError::Io(e)) if e.kind() == std::io::ErrorKind::TimedOut => {
            ApiError::RequestTimeout
        }
        JsonPayloadError::Deserialize(e) if e.is_data() => ApiError::Invalid("invalid_order", e.to_string()),
        JsonPayloadError::Deserialize(e) => ApiError::Malformed("malformed_json", e.to_string()),
        other => ApiError::Malformed("bad_request", other.to_string()),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
struct Accepted<'a> {
    #[schema(format = Uuid)]
    order_id: &'a str,
    #[schema(value_type = OrderStatus)]
    status: &'a str,
}

/// `POST /orders`: 202 once `ORDER.created` is acknowledged; 200 for a
/// repeat of an Idempotency-Key; 4xx for bad input; 503 if NATS is down.
#[utoipa::path(post, path = "/orders", operation_id = "place_order", tag = "orders", params(openapi::IdempotencyKey),
    request_body(content = NewOrder, description = "At most 64 KiB. Unknown fields are refused."),
    responses(
        (status = 202, description = "Accepted: `ORDER.created` is stored.", body = Accepted,
            headers(("Location" = String, description = "`/orders/{order_id}`")),
            links(("GetOrder" = (operation_id = "get_order", parameters(("id" = "$response.body#/order_id")))))),
        (status = 200, description = "A repeat of an `Idempotency-Key`: the same order, its current status.",
            body = Accepted, headers(("Location" = String, description = "`/orders/{order_id}`")),
            links(("GetOrder" = (operation_id = "get_order", parameters(("id" = "$response.body#/order_id")))))),
        openapi::PlaceOrderErrors))]
pub(super) async fn place(
    req: HttpRequest,
    body: web::Json<NewOrder>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency_key(&req)?;
    let order = body.into_inner().validate().map_err(invalid_order)?;
    check_prices(&state, &order.items).await?;
    let placement =
        state.intake.send(PlaceOrder { order, idempotency_key: key, trace: TraceContext::current() }).await??;
    let order_id = placement.order_id.to_string();
    let location = format!("/orders/{order_id}");
    if placement.created {
        let body = Accepted { order_id: &order_id, status: "PENDING" };
        return Ok(HttpResponse::Accepted().insert_header((header::LOCATION, location)).json(body));
    }
    let current = state.intake.send(GetOrder { order_id: placement.order_id.clone() }).await?.ok().flatten();
    let status = current.as_ref().map_or("PENDING", |o| o.status.as_str());
    Ok(HttpResponse::Ok().insert_header((header::LOCATION, location)).json(Accepted { order_id: &order_id, status }))
}

/// 422 `price_mismatch` when an item's unit price differs from its SKU's
/// list price (SKUs without one trust the client's price).
async fn check_prices(state: &AppState, items: &[OrderItem]) -> Result<(), ApiError> {
    let mismatch = state.inventory.send(CheckPrices { items: items.to_vec() }).await??;
    match mismatch {
        None => Ok(()),
        Some(m) => Err(ApiError::Invalid(
            "price_mismatch",
            format!(
                "items[{}].unit_price_minor: {} costs {} (minor units), not {}",
                m.index, m.sku, m.list_price_minor, m.unit_price_minor
            ),
        )),
    }
}

fn invalid_order(e: ValidationError) -> ApiError {
    let code = match e.rule {
        Rule::Sku => "invalid_sku",
        Rule::Field => "invalid_order",
    };
    ApiError::Invalid(code, e.to_string())
}

fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let bad = || {
        ApiError::Malformed(
            "invalid_idempotency_key",
            format!("{IDEMPOTENCY_KEY} must be 1-{MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters"),
        )
    };
    let text = value.to_str().map_err(|_| bad())?.trim();
    let valid = !text.is_empty() && text.len() <= MAX_IDEMPOTENCY_KEY_LEN && text.bytes().all(|b| b.is_ascii_graphic());
    if !valid {
        return Err(bad());
    }
    Ok(Some(text.to_string()))
}

/// The public view of an order.
#[derive(Serialize, utoipa::ToSchema)]
struct OrderView<'a> {
    #[schema(format = Uuid)]
    order_id: &'a str,
    customer_id: &'a str,
    #[schema(value_type = OrderStatus)]
    status: &'a str,
    #[schema(value_type = Option<FailureReason>, required)]
    failure_reason: Option<&'a str>,
    items: &'a [OrderItem],
    total_minor: i64,
    #[schema(pattern = "^[A-Z]{3}$")]
    currency: &'a str,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    #[schema(required)]
    charge_id: Option<&'a str>,
    history: &'a [crate::domain::StatusChange],
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

fn view(order: &Order) -> OrderView<'_> {
    OrderView {
        order_id: order.order_id.as_str(),
        customer_id: &order.customer_id,
        status: order.status.as_str(),
        failure_reason: order.failure_reason.map(|r| r.as_str()),
        items: &order.items,
        total_minor: order.total_minor,
        currency: order.currency.as_str(),
        created_at: rfc3339(order.created_at),
        updated_at: rfc3339(order.updated_at),
        charge_id: order.charge_id.as_deref(),
        history: &order.history,
    }
}

/// `GET /orders/{id}`.
#[utoipa::path(get, path = "/orders/{id}", tag = "orders", operation_id = "get_order",
    params(("id" = String, Path, description = "The order id (a lower-case UUID); any other text is 404.")),
    responses((status = 200, description = "The order.", body = OrderView), openapi::GetOrderErrors))]
pub(super) async fn get(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::NotFound(format!("no order with id {}", path.as_str()));
    let order_id = OrderId::parse(&path).ok_or_else(not_found)?;
    let order = state.intake.send(GetOrder { order_id }).await??.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(view(&order)))
}
