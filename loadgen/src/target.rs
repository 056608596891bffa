//! The service under load, over HTTP: readiness, stock set-up, `POST
//! /orders` with an `Idempotency-Key` (errors classified by kind: `http_<code>`,
//! `timeout`, `connect`, `request`) and `GET /metrics`.

use anyhow::Context as _;
use futures::FutureExt;
use futures::future::BoxFuture;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::load::Placer;
use crate::mix::{Mix, Planned};

/// The service under load: one or more replicas (comma-separated base
/// URLs); orders are spread round-robin, set-up and metrics use the first.
#[derive(Debug)]
pub(crate) struct Target {
    client: reqwest::Client,
    base: String,
    replicas: Vec<String>,
    next: AtomicUsize,
}

impl Target {
    pub(crate) fn new(base: &str, connections: usize) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(connections.max(1))
            .timeout(Duration::from_secs(30))
            .tcp_nodelay(true)
            .build()
            .context("HTTP client")?;
        let replicas: Vec<String> =
            base.split(',').map(|b| b.trim().trim_end_matches('/').to_string()).filter(|b| !b.is_empty()).collect();
        anyhow::ensure!(!replicas.is_empty(), "no service URL given");
        Ok(Self { client, base: replicas[0].clone(), replicas, next: AtomicUsize::new(0) })
    }

    /// Waits until `GET /ready` answers 200.
    pub(crate) async fn wait_ready(&self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            let ready = self.client.get(format!("{}/ready", self.base)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            anyhow::ensure!(Instant::now() < deadline, "service at {} not ready within {timeout:?}", self.base);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sets the stock of every SKU of the mix.
    pub(crate) async fn stock(&self, mix: &Mix) -> anyhow::Result<()> {
        for (sku, available) in mix.stock_levels() {
            let url = format!("{}/inventory/{sku}", self.base);
            let body = serde_json::json!({ "available": available });
            let response = self.client.put(&url).json(&body).send().await.with_context(|| format!("PUT {url}"))?;
            anyhow::ensure!(response.status().is_success(), "PUT {url} answered {}", response.status());
        }
        Ok(())
    }

    /// Places one order; `Err` is the error kind.
    async fn post_order(&self, order: &Planned) -> Result<(), String> {
        let body = serde_json::to_vec(order).map_err(|_| "encode".to_string())?;
        let response = self
            .client
            .post(format!("{}/orders", self.replica()))
            .header("content-type", "application/json")
            .header("Idempotency-Key", &order.idempotency_key)
            .body(body)
            .send()
            .await
            .map_err(|e| kind_of(&e))?;
        let status = response.status();
        // Read the body so the connection goes back to the pool.
        let _ = response.bytes().await;
        match status.as_u16() {
            200..=202 => Ok(()),
            code => Err(format!("http_{code}")),
        }
    }

    fn replica(&self) -> &str {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        &self.replicas[i % self.replicas.len()]
    }

    /// `GET /metrics` as text.
    pub(crate) async fn metrics(&self) -> Option<String> {
        let response = self.client.get(format!("{}/metrics", self.base)).send().await.ok()?;
        response.text().await.ok()
    }
}

/// The error's kind; the first few errors are also printed with their
/// causes, so a failed run says why and not only how often.
fn kind_of(e: &reqwest::Error) -> String {
    static PRINTED: AtomicUsize = AtomicUsize::new(0);
    if PRINTED.fetch_add(1, Ordering::Relaxed) < 5 {
        let causes = std::iter::successors(std::error::Error::source(e), |c| c.source());
        let causes: String = causes.map(|c| format!(": {c}")).collect();
        eprintln!("loadgen: request failed: {e}{causes}");
    }
    match () {
        _ if e.is_timeout() => "timeout".into(),
        _ if e.is_connect() => "connect".into(),
        _ => "request".into(),
    }
}

impl Placer for Target {
    fn place<'a>(&'a self, order: &'a Planned) -> BoxFuture<'a, Result<(), String>> {
        self.post_order(order).boxed()
    }
}
