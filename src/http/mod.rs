//! The HTTP API (actix-web): orders, inventory, health, readiness, metrics,
//! and its OpenAPI document (`/openapi.json`).
//! Handlers talk to actors through `Addr`s in [`AppState`], never to NATS.
//! Every error is JSON `{"error":{"code","message"}}` (see [`ApiError`]).

mod admin;
mod api;
mod auth;
mod body;
mod dashboard;
mod error;
mod extract;
mod health;
mod inventory;
mod latency;
mod openapi;
mod order_list;
mod orders;
mod rate_limit;
mod state;
mod stream;

pub use auth::guard_admin;
pub use body::{BodyTimeout, guard_body};
pub use error::ApiError;
pub use latency::record_latency;
pub use openapi::openapi_json;
pub use rate_limit::{RateLimit, limit_rate};
pub use state::AppState;

use actix_web::web;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Registers every route. Admin routes are guarded by [`guard_admin`]
/// (wrapped around the whole app), which decides by path before any
/// extractor runs.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(orders::json_config())
        .app_data(extract::query_config())
        .app_data(extract::path_config())
        .route("/orders", web::post().to(orders::place))
        .route("/orders/{id}", web::get().to(orders::get))
        .route("/inventory/{sku}", web::put().to(inventory::set))
        .route("/inventory/{sku}", web::get().to(inventory::get))
        .route("/dashboard", web::get().to(dashboard::page))
        .route("/dashboard/orders/{id}", web::get().to(dashboard::page))
        .route("/dashboard/static/{file}", web::get().to(dashboard::file))
        .route("/api/overview", web::get().to(api::overview))
        .route("/api/actors", web::get().to(api::actors))
        .route("/api/actors/{name}/crash", web::post().to(api::crash))
        .route("/api/orders", web::get().to(order_list::list))
        .route("/api/orders/{id}/timeline", web::get().to(api::timeline))
        .route("/api/stream", web::get().to(stream::stream))
        .route("/api/dlq", web::get().to(admin::list))
        .route("/api/dlq/{id}/replay", web::post().to(admin::replay))
        .route("/dlq", web::get().to(admin::list))
        .route("/dlq/{id}/replay", web::post().to(admin::replay))
        .route("/health", web::get().to(health::health))
        .route("/ready", web::get().to(health::ready))
        .route("/metrics", web::get().to(health::metrics))
        .route("/openapi.json", web::get().to(openapi::document));
}
