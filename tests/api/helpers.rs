//! `TestApp`: the service built in process on port 0 against a test
//! nats-server, with an HTTP client and contract-level helpers; plus
//! `eventually`, the only way tests wait for asynchronous outcomes.

use std::future::Future;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use order_service::config::Settings;
use order_service::startup::{Application, ShutdownHandle};
use serde_json::{Value, json};

pub(crate) use support::http::{http_client, serve_on_loopback};

use support::service::{ServiceOptions, ServiceProcess};

use crate::events::{self, Event, terminal_events};
use support::nats::NatsServer;

/// The bound for any single asynchronous outcome a test waits for.
pub(crate) const WAIT: Duration = Duration::from_secs(20);

static TRACING: LazyLock<()> = LazyLock::new(|| {
    // `TEST_LOG=debug cargo test ...` shows the service's logs.
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
});

/// Polls `check` every 50 ms until it returns `Some`, or panics after `timeout`.
pub(crate) async fn eventually<T, F, Fut>(mut check: F, timeout: Duration) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "condition not met within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A valid `POST /orders` body: `items` are `(sku, quantity, unit_price_minor)`.
pub(crate) fn order_body(customer: &str, items: &[(&str, u64, i64)], token: &str) -> Value {
    let items: Vec<Value> = items
        .iter()
        .map(|(sku, quantity, price)| json!({"sku": sku, "quantity": quantity, "unit_price_minor": price}))
        .collect();
    json!({"customer_id": customer, "items": items, "currency": "USD", "payment_token": token})
}

/// Asserts `{"error": {"code": str, "message": str}}` and returns the code.
pub(crate) fn assert_error_shape(body: &Value) -> String {
    let code = body["error"]["code"].as_str();
    let message = body["error"]["message"].as_str();
    assert!(code.is_some_and(|c| !c.is_empty()), "error.code missing in {body}");
    assert!(message.is_some_and(|m| !m.is_empty()), "error.message missing in {body}");
    code.unwrap_or_default().to_string()
}

/// How tests talk to a running service (in process or the real binary).
#[derive(Debug, Clone)]
pub(crate) struct ApiClient {
    pub(crate) address: String,
    pub(crate) client: reqwest::Client,
    pub(crate) nats_url: String,
    /// Sent as the bearer on admin calls when the service has one.
    pub(crate) admin_token: Option<String>,
}

/// The service running in process; derefs to its `ApiClient`.
pub(crate) struct TestApp {
    api: ApiClient,
    shutdown: ShutdownHandle,
    running: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl std::ops::Deref for TestApp {
    type Target = ApiClient;

    fn deref(&self) -> &ApiClient {
        &self.api
    }
}

/// Builds and runs the service against `nats` with test settings.
pub(crate) async fn spawn_app(nats: &NatsServer) -> TestApp {
    spawn_app_with(nats, |_| {}).await
}

/// Like `spawn_app`, after `tweak` adjusted the settings.
pub(crate) async fn spawn_app_with(nats: &NatsServer, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = test_settings(nats.url());
    tweak(&mut settings);
    spawn_app_on(settings).await
}

/// Builds and runs the service with exactly `settings`.
pub(crate) async fn spawn_app_on(settings: Settings) -> TestApp {
    LazyLock::force(&TRACING);
    let admin_token = settings.admin.token.as_ref().map(|t| t.0.clone());
    let nats_url = settings.nats.url.clone();
    let app = Application::build(settings).await.expect("Application::build");
    let address = format!("http://127.0.0.1:{}", app.http_port());
    let shutdown = app.shutdown_handle();
    let running = actix_web::rt::spawn(app.run_until_stopped());
    let api = ApiClient { admin_token, ..ApiClient::new(address, &nats_url) };
    TestApp { api, shutdown, running: Some(running) }
}

/// Test settings: port 0, short timeouts so failures show up fast.
pub(crate) fn test_settings(nats_url: &str) -> Settings {
    let mut settings = Settings::default();
    settings.nats.url = nats_url.to_string();
    settings.http.addr = "127.0.0.1:0".parse().expect("socket address");
    settings.saga.ack_wait = Duration::from_secs(5);
    settings.payment.timeout = Duration::from_secs(2);
    settings.shutdown_timeout = Duration::from_secs(10);
    settings
}

impl ApiClient {
    pub(crate) fn new(address: String, nats_url: &str) -> Self {
        Self { address, client: http_client(), nats_url: nats_url.to_string(), admin_token: None }
    }

    /// An admin request: the bearer when the service has a token (else the
    /// loopback default applies), and a JSON content type.
    pub(crate) fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.client.request(method, format!("{}{path}", self.address));
        let request = request.header("Content-Type", "application/json");
        match &self.admin_token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    pub(crate) async fn post_order(&self, body: &Value, idempotency_key: Option<&str>) -> reqwest::Response {
        let mut request = self.client.post(format!("{}/orders", self.address)).json(body);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        request.send().await.expect("POST /orders")
    }

    /// Posts an order that must be accepted (202) and returns its id.
    pub(crate) async fn place_order(&self, body: &Value) -> String {
        let response = self.post_order(body, None).await;
        assert_eq!(response.status().as_u16(), 202, "order not accepted");
        let json: Value = response.json().await.expect("202 body is JSON");
        json["order_id"].as_str().expect("order_id in 202 body").to_string()
    }

    pub(crate) async fn get_order(&self, order_id: &str) -> reqwest::Response {
        let url = format!("{}/orders/{order_id}", self.address);
        self.client.get(url).send().await.expect("GET /orders/{id}")
    }

    pub(crate) async fn set_stock(&self, sku: &str, available: u64) -> reqwest::Response {
        let request = self.admin(reqwest::Method::PUT, &format!("/inventory/{sku}"));
        let response = request.json(&json!({"available": available})).send().await;
        response.expect("PUT /inventory/{sku}")
    }

    pub(crate) async fn get_stock(&self, sku: &str) -> reqwest::Response {
        let url = format!("{}/inventory/{sku}", self.address);
        self.client.get(url).send().await.expect("GET /inventory/{sku}")
    }

    /// Sets stock and asserts the PUT succeeded.
    pub(crate) async fn stock(&self, sku: &str, available: u64) {
        let response = self.set_stock(sku, available).await;
        assert_eq!(response.status().as_u16(), 200, "PUT /inventory/{sku} failed");
    }

    /// `(available, reserved)` of a stocked SKU.
    pub(crate) async fn stock_levels(&self, sku: &str) -> (u64, u64) {
        let response = self.get_stock(sku).await;
        assert_eq!(response.status().as_u16(), 200, "GET /inventory/{sku} failed");
        let json: Value = response.json().await.expect("inventory JSON");
        let field = |name: &str| json[name].as_u64().unwrap_or_else(|| panic!("{name} in {json}"));
        (field("available"), field("reserved"))
    }

    /// Waits until the SKU's `(available, reserved)` equals `expected`;
    /// on timeout fails with the last levels seen.
    pub(crate) async fn assert_stock_eventually(&self, sku: &str, expected: (u64, u64)) {
        let deadline = Instant::now() + WAIT;
        loop {
            let levels = self.stock_levels(sku).await;
            if levels == expected || Instant::now() > deadline {
                assert_eq!(levels, expected, "(available, reserved) of {sku}");
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.address)).send().await.expect("GET")
    }

    /// Polls `GET /orders/{id}` until COMPLETED or FAILED; returns that body.
    pub(crate) async fn wait_terminal(&self, order_id: &str) -> Value {
        self.wait_terminal_within(order_id, WAIT).await
    }

    /// `wait_terminal` with an explicit bound.
    pub(crate) async fn wait_terminal_within(&self, order_id: &str, timeout: Duration) -> Value {
        eventually(
            || async {
                let response = self.get_order(order_id).await;
                let json: Value = response.json().await.ok()?;
                matches!(json["status"].as_str(), Some("COMPLETED" | "FAILED")).then_some(json)
            },
            timeout,
        )
        .await
    }

    /// The order's events once its terminal event is in the stream.
    pub(crate) async fn terminal_events(&self, order_id: &str) -> Vec<Event> {
        terminal_events(&self.nats_url, order_id).await
    }

    pub(crate) async fn stream_message_count(&self) -> u64 {
        events::stream_message_count(&self.nats_url).await
    }
}

impl TestApp {
    /// Drains and stops the service; asserts it stopped cleanly in time.
    pub(crate) async fn shutdown(mut self) {
        self.shutdown.shutdown().await;
        if let Some(running) = self.running.take() {
            let outcome = tokio::time::timeout(WAIT, running).await;
            let result = outcome.expect("service did not stop after shutdown").expect("run task");
            result.expect("run_until_stopped returned an error");
        }
    }
}

/// This package's `order-service` binary with `env`, on a free port,
/// healthy (see `support::service`).
pub(crate) async fn start_service<V: AsRef<str>>(env: &[(&str, V)]) -> ServiceProcess {
    ServiceProcess::start(ServiceOptions::new("order-service", env!("CARGO_BIN_EXE_order-service"), env)).await
}
