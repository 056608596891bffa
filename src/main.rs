//! The `order-service` binary: load settings, start telemetry, build and run
//! the application, flush telemetry on the way out.

use order_service::config::Settings;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use order_service::startup::Application;
use order_service::telemetry;

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
    let telemetry = telemetry::init(&settings)?;
    tracing::info!(http_addr = %settings.http_addr, nats = %settings.nats_url, "starting order-service");
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "start-up failed");
            telemetry.shutdown().await;
            return Err(e);
        }
    };
    tracing::info!(port = app.http_port(), "listening");
    let result = app.run_until_stopped().await;
    telemetry.shutdown().await;
    result
}
