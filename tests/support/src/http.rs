//! HTTP pieces the other modules share: a client that trusts the ring
//! crypto provider, a tiny actix server on 127.0.0.1:0 for fakes and
//! receivers, and the `/health` wait of a freshly started process.

use std::process::ExitStatus;
use std::time::{Duration, Instant};

/// An HTTP client for tests (reqwest is built without a default TLS crypto
/// provider, so install ring first, as the service does).
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("reqwest client")
}

/// Serves `configure`'s routes on 127.0.0.1:0 inside the current actix
/// System (fake providers, receivers); returns the address and a handle.
pub fn serve_on_loopback<F>(what: &str, configure: F) -> (std::net::SocketAddr, actix_web::dev::ServerHandle)
where
    F: Fn(&mut actix_web::web::ServiceConfig) + Clone + Send + 'static,
{
    let server = actix_web::HttpServer::new(move || actix_web::App::new().configure(configure.clone()))
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .bind(("127.0.0.1", 0))
        .unwrap_or_else(|e| panic!("bind {what}: {e}"));
    let address = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (address, handle)
}

/// Polls `GET {address}/health` every 50 ms until it answers 200. Panics
/// with `logs()` when `exited()` reports that the process ended, or after
/// `timeout`.
pub async fn wait_until_healthy(
    name: &str,
    address: &str,
    timeout: Duration,
    mut exited: impl FnMut() -> Option<ExitStatus>,
    logs: impl Fn() -> String,
) {
    let client = http_client();
    let deadline = Instant::now() + timeout;
    loop {
        let health = client.get(format!("{address}/health")).send().await;
        if health.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        if let Some(status) = exited() {
            panic!("{name} exited at start ({status}):\n{}", logs());
        }
        assert!(Instant::now() < deadline, "{name} not healthy in {timeout:?}:\n{}", logs());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
