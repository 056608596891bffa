//! The `order-service` binary: load settings, start telemetry, build and run
//! the application, flush telemetry on the way out.

use order_service::config::Settings;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use order_service::startup::Application;
use order_service::telemetry;

/// Telemetry flush after a failed start-up (no shutdown budget applies).
const STARTUP_FAILURE_FLUSH: std::time::Duration = std::time::Duration::from_secs(2);

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    order_service::allocator::release_freed_memory_promptly();
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("order-service: {e}");
            std::process::exit(2);
        }
    };
    let telemetry = telemetry::init(&settings.telemetry)?;
    tracing::info!(http_addr = %settings.http.addr, nats = %settings.nats.url, "starting order-service");
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "start-up failed");
            telemetry.shutdown(STARTUP_FAILURE_FLUSH).await;
            return Err(e);
        }
    };
    tracing::info!(port = app.http_port(), "listening");
    let budget = app.shutdown_budget();
    let result = app.run_until_stopped().await;
    // The last part of the shutdown budget (flushes included).
    telemetry.shutdown(budget.remaining()).await;
    result
}
