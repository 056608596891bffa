//! The load driver: `clients` tasks submit orders, each under its own
//! `Idempotency-Key`, and retry the same key with the same body on
//! connection errors, timeouts, 429 and 5xx (small jittered backoff, the
//! next service address on each retry) until a 2xx or the give-up
//! deadline. Bounded in count (`max_orders`) and time (`submit_for` for new
//! orders, `give_up_after` for retries).
//!
//! Bodies are deterministic per order number: one or two of the `STOCK`
//! SKUs (about one order in seven wants the scarce one, so some end
//! OUT_OF_STOCK) and every seventh order with a `tok_decline` token.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::Value;

use crate::helpers::order_body;

/// The SKUs orders use and their initial stock.
pub(crate) const STOCK: [(&str, u64); 3] = [("CHAOS-A", 100_000), ("CHAOS-B", 100_000), ("CHAOS-SCARCE", 20)];

#[derive(Debug, Clone, Copy)]
pub(crate) struct LoadPlan {
    pub(crate) clients: usize,
    pub(crate) max_orders: usize,
    /// New orders are started only this long after the start.
    pub(crate) submit_for: Duration,
    /// A key not answered 2xx this long after the start is given up.
    pub(crate) give_up_after: Duration,
    /// Pause of each client between two orders.
    pub(crate) pace: Duration,
}

impl LoadPlan {
    /// Six clients, about 30 orders/s for `submit_for`, retries for 20 s more.
    pub(crate) fn steady(submit_for: Duration) -> Self {
        Self {
            clients: 6,
            max_orders: 500,
            submit_for,
            give_up_after: submit_for + Duration::from_secs(20),
            pace: Duration::from_millis(150),
        }
    }
}

/// An order the service answered 2xx for.
#[derive(Debug, Clone)]
pub(crate) struct Accepted {
    pub(crate) key: String,
    pub(crate) order_id: String,
    pub(crate) body: Value,
}

/// What the clients saw.
#[derive(Debug, Default)]
pub(crate) struct LoadReport {
    pub(crate) accepted: Vec<Accepted>,
    /// Keys never answered 2xx: `(key, last error)`.
    pub(crate) unanswered: Vec<(String, String)>,
    /// Keys answered with a 4xx other than 429: `(key, status, body)`.
    pub(crate) rejected: Vec<(String, u16, String)>,
    /// Requests sent in total (first tries and retries).
    pub(crate) requests: usize,
    /// Retried answers: 429/5xx statuses, and timeouts or connection errors.
    pub(crate) unavailable: usize,
    pub(crate) timeouts: usize,
}

/// Running clients; `finish` waits for them.
#[derive(Debug)]
pub(crate) struct Load {
    tasks: Vec<tokio::task::JoinHandle<LoadReport>>,
    accepted: Arc<AtomicUsize>,
}

impl Load {
    /// Starts the clients against `targets` (service base URLs).
    pub(crate) fn start(name: &str, targets: Vec<String>, plan: LoadPlan) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(1))
            .timeout(Duration::from_secs(3))
            .build()
            .expect("load client");
        let next = Arc::new(AtomicUsize::new(0));
        let accepted = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let tasks = (0..plan.clients)
            .map(|index| {
                let clerk = Clerk {
                    name: name.to_string(),
                    index,
                    client: client.clone(),
                    targets: targets.clone(),
                    plan,
                    started,
                    next: next.clone(),
                    accepted: accepted.clone(),
                };
                tokio::spawn(clerk.run())
            })
            .collect();
        Self { tasks, accepted }
    }

    /// Orders answered 2xx so far.
    pub(crate) fn accepted(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Waits until `n` orders were accepted (bounded), so faults hit a
    /// system with orders in flight.
    pub(crate) async fn wait_accepted(&self, n: usize, timeout: Duration) {
        crate::helpers::eventually(|| async { (self.accepted() >= n).then_some(()) }, timeout).await;
    }

    /// Waits for every client and merges what they saw.
    pub(crate) async fn finish(self) -> LoadReport {
        let mut report = LoadReport::default();
        for task in self.tasks {
            let part = task.await.expect("load client task");
            report.accepted.extend(part.accepted);
            report.unanswered.extend(part.unanswered);
            report.rejected.extend(part.rejected);
            report.requests += part.requests;
            report.unavailable += part.unavailable;
            report.timeouts += part.timeouts;
        }
        report
    }
}

/// One client.
#[derive(Debug)]
struct Clerk {
    name: String,
    index: usize,
    client: reqwest::Client,
    targets: Vec<String>,
    plan: LoadPlan,
    started: Instant,
    next: Arc<AtomicUsize>,
    accepted: Arc<AtomicUsize>,
}

impl Clerk {
    async fn run(self) -> LoadReport {
        let mut report = LoadReport::default();
        let mut target = self.index;
        loop {
            let n = self.next.fetch_add(1, Ordering::Relaxed);
            if n >= self.plan.max_orders || self.started.elapsed() > self.plan.submit_for {
                return report;
            }
            let key = format!("{}-{n}", self.name);
            let body = order(n, self.index);
            self.submit(key, body, &mut target, &mut report).await;
            tokio::time::sleep(self.plan.pace).await;
        }
    }

    async fn submit(&self, key: String, body: Value, target: &mut usize, report: &mut LoadReport) {
        for attempt in 0u32.. {
            let base = &self.targets[*target % self.targets.len()];
            let sent = self.client.post(format!("{base}/orders")).header("Idempotency-Key", &key).json(&body).send();
            report.requests += 1;
            let error = match sent.await {
                Ok(response) if response.status().is_success() => match response.json::<Value>().await {
                    Ok(json) if json["order_id"].is_string() => {
                        let order_id = json["order_id"].as_str().unwrap_or_default().to_string();
                        self.accepted.fetch_add(1, Ordering::Relaxed);
                        report.accepted.push(Accepted { key, order_id, body });
                        return;
                    }
                    other => format!("2xx without an order id: {other:?}"),
                },
                Ok(response) if response.status().is_server_error() || response.status().as_u16() == 429 => {
                    report.unavailable += 1;
                    format!("status {}", response.status())
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    report.rejected.push((key, status, response.text().await.unwrap_or_default()));
                    return;
                }
                Err(e) => {
                    report.timeouts += usize::from(e.is_timeout());
                    format!("{e}")
                }
            };
            if self.started.elapsed() > self.plan.give_up_after {
                report.unanswered.push((key, error));
                return;
            }
            *target += 1;
            let jitter = rand::rng().random_range(0.5..1.5);
            tokio::time::sleep(Duration::from_millis(50 << attempt.min(4)).mul_f64(jitter)).await;
        }
    }
}

/// The body of order number `n` (deterministic).
fn order(n: usize, client: usize) -> Value {
    let mut rng = StdRng::seed_from_u64(n as u64);
    let (first, other) = if rng.random_bool(0.5) { (STOCK[0].0, STOCK[1].0) } else { (STOCK[1].0, STOCK[0].0) };
    let mut items = vec![(first, rng.random_range(1..=3u64), rng.random_range(100..5_000i64))];
    if rng.random_bool(0.3) {
        let second = if rng.random_bool(0.5) { STOCK[2].0 } else { other };
        items.push((second, rng.random_range(1..=2u64), rng.random_range(100..5_000i64)));
    }
    let token = if n % 7 == 3 { "tok_decline_chaos" } else { "tok_visa" };
    order_body(&format!("chaos-customer-{client}"), &items, token)
}
