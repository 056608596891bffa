//! `GET /dashboard`, `GET /dashboard/orders/{id}` and the page's static
//! files under `/dashboard/static/`: HTML, CSS and scripts embedded in the
//! binary (no build step, no external assets). The page holds no data; it
//! reads the admin JSON API. The Content-Security-Policy allows scripts
//! only from these files (no inline script), forbids framing, and every
//! answer carries `X-Content-Type-Options: nosniff`. An unknown static
//! file is a 404.

use actix_web::{HttpResponse, web};

use super::{ApiError, openapi};

const PAGE: &str = include_str!("dashboard/page.html");

/// Scripts and styles only from this origin; inline `style` attributes
/// are allowed (bar widths), inline scripts are not.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The files the page loads, by name.
const STATIC: [(&str, &str, &str); 7] = [
    ("dashboard.css", "text/css; charset=utf-8", include_str!("dashboard/dashboard.css")),
    ("app.js", JS, include_str!("dashboard/app.js")),
    ("format.js", JS, include_str!("dashboard/format.js")),
    ("charts.js", JS, include_str!("dashboard/charts.js")),
    ("tree.js", JS, include_str!("dashboard/tree.js")),
    ("orders.js", JS, include_str!("dashboard/orders.js")),
    ("order.js", JS, include_str!("dashboard/order.js")),
];
const JS: &str = "text/javascript; charset=utf-8";

fn hardened(content_type: &str) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response
        .content_type(content_type)
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Referrer-Policy", "no-referrer"));
    response
}

#[utoipa::path(get, path = "/dashboard", operation_id = "dashboard", tag = "dashboard", responses((status = 200,
    description = "The operator dashboard (it asks for the admin token itself).", body = String,
    content_type = "text/html"), openapi::PublicErrors))]
pub(super) async fn page() -> HttpResponse {
    hardened("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", CSP))
        .insert_header(("X-Frame-Options", "DENY"))
        .body(PAGE)
}

#[utoipa::path(get, path = "/dashboard/static/{file}", operation_id = "dashboard_file", tag = "dashboard",
    params(("file" = String, Path, description = "A file the page loads, such as `app.js`.")),
    responses((status = 200, description = "The file.", content(
        (String = "text/css"), (String = "text/javascript"))), openapi::StaticFileErrors))]
pub(super) async fn file(name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let (_, content_type, body) = STATIC
        .iter()
        .find(|(file, _, _)| *file == name.as_str())
        .ok_or_else(|| ApiError::NotFound(format!("no dashboard file {}", name.as_str())))?;
    Ok(hardened(content_type).body(*body))
}
