//! `GET /dashboard` and `GET /dashboard/orders/{id}`: one static page
//! (no build step) that reads the JSON API and the `/api/stream` snapshots.
//! The page holds no data itself; the API behind it is bearer-guarded.

use actix_web::HttpResponse;

const PAGE: &str = include_str!("dashboard.html");

pub(super) async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header((
            "Content-Security-Policy",
            "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'",
        ))
        .body(PAGE)
}
