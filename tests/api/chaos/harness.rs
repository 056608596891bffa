//! What every scenario shares: the set-up (nats-server, provider, service
//! environment, stock and clients), the fault log, waiting until the system is quiet, reading everything
//! back, and the one-line report that asserts zero violations.
//!
//! Quiet means: every accepted order answers COMPLETED or FAILED, the
//! stream holds a terminal event for each, the `order-saga` consumer has
//! nothing pending or unacknowledged, and every running service reports
//! no delivery in flight (so late work of a paused instance is done).

use std::collections::HashSet;
use std::future::Future;
use std::time::{Duration, Instant};

use futures::StreamExt;

use super::invariants::{self, Expectations, Observed, StockLevel};
use super::load::{Accepted, Load, LoadPlan, LoadReport, STOCK};
use super::observe::{self, Api};
use support::nats::NatsCluster;
use support::provider::FakePaymentProvider;
use support::service::ServiceProcess;

/// Short ack_wait so redeliveries after a fault come within seconds.
pub(crate) const ACK_WAIT_SECS: &str = "2";
/// Hard stop for one scenario; the scenarios aim at ≲ 45 s.
const SCENARIO_LIMIT: Duration = Duration::from_secs(100);

/// The environment of a service in the suite.
pub(crate) fn service_env(nats_urls: &str, provider_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("NATS_URL", nats_urls.to_string()),
        ("PAYMENT_GATEWAY_URL", provider_url.to_string()),
        ("ACK_WAIT_SECS", ACK_WAIT_SECS.to_string()),
        ("PAYMENT_TIMEOUT_MS", "500".to_string()),
        ("NATS_CONNECT_TIMEOUT_SECS", "20".to_string()),
        ("SHUTDOWN_TIMEOUT_SECS", "5".to_string()),
    ]
}

/// Runs a scenario under a hard time limit.
pub(crate) async fn bounded(name: &str, scenario: impl Future<Output = ()>) {
    if tokio::time::timeout(SCENARIO_LIMIT, scenario).await.is_err() {
        panic!("chaos {name}: did not finish within {SCENARIO_LIMIT:?}");
    }
}

/// What every scenario starts with: its clock, the nats-server node(s)
/// `nats` starts, and a payment provider without faults.
pub(crate) async fn set_up(
    name: &'static str,
    nats: impl Future<Output = NatsCluster>,
) -> (Scenario, NatsCluster, FakePaymentProvider) {
    let scenario = Scenario::new(name);
    (scenario, nats.await, FakePaymentProvider::start())
}

/// Stocks every SKU through `services`, starts the clients on them with
/// `plan` and waits until `wait_for` orders were accepted (none: no wait).
pub(crate) async fn start_load(
    name: &str,
    services: &[&ServiceProcess],
    plan: LoadPlan,
    wait_for: usize,
) -> (Api, Load) {
    let addresses: Vec<String> = services.iter().map(|s| s.address.clone()).collect();
    let api = Api::new(addresses.clone());
    stock_up(&api).await;
    let load = Load::start(name, addresses, plan);
    if wait_for > 0 {
        load.wait_accepted(wait_for, Duration::from_secs(10)).await;
    }
    (api, load)
}

/// Sets the initial stock of every SKU the load uses.
async fn stock_up(api: &Api) {
    for (sku, available) in STOCK {
        api.set_stock(sku, available).await;
    }
}

/// A scenario's clock and fault log.
#[derive(Debug)]
pub(crate) struct Scenario {
    pub(crate) name: &'static str,
    started: Instant,
    pub(crate) faults: usize,
}

impl Scenario {
    pub(crate) fn new(name: &'static str) -> Self {
        Self { name, started: Instant::now(), faults: 0 }
    }

    /// Logs one injected fault and counts it.
    pub(crate) fn fault(&mut self, what: &str) {
        self.faults += 1;
        eprintln!("chaos {} t={:.1}s fault {}: {what}", self.name, self.started.elapsed().as_secs_f64(), self.faults);
    }

    /// Logs a step that is not a fault.
    pub(crate) fn note(&self, what: &str) {
        eprintln!("chaos {} t={:.1}s {what}", self.name, self.started.elapsed().as_secs_f64());
    }

    /// Waits until quiet (bounded), reads everything back, prints the
    /// figures and asserts zero violations.
    pub(crate) async fn finish(&self, world: World<'_>, load: LoadReport, expect: Expectations) -> Observed {
        let waited = Instant::now();
        let quiet = settle(&world, &load.accepted, Duration::from_secs(40)).await;
        let settle_secs = waited.elapsed().as_secs_f64();
        let seen = observe_all(&world, &load).await;
        let mut violations = invariants::check(&load, &seen, &expect);
        if !quiet {
            violations.push(format!("the system did not become quiet within {settle_secs:.0}s"));
        }
        self.report(&world, &load, &seen, settle_secs, &violations);
        seen
    }

    fn report(&self, world: &World<'_>, load: &LoadReport, seen: &Observed, settle: f64, violations: &[String]) {
        let status = |s: &str| seen.orders.values().filter(|o| o["status"] == s).count();
        let reason = |r: &str| seen.orders.values().filter(|o| o["failure_reason"] == r).count();
        let (calls, provider_faults, _) = world.provider.figures();
        let submitted = load.accepted.len() + load.unanswered.len() + load.rejected.len();
        println!(
            "chaos {}: orders={submitted} accepted={} completed={} failed={} (declined={} out_of_stock={}) \
             faults={} client_requests={} (5xx={} timeouts={}) provider_calls={calls} provider_faults={provider_faults} charges={} \
             events={} dead_letters={} settle={settle:.1}s total={:.1}s violations={}",
            self.name,
            load.accepted.len(),
            status("COMPLETED"),
            status("FAILED"),
            reason("PAYMENT_DECLINED"),
            reason("OUT_OF_STOCK"),
            self.faults,
            load.requests,
            load.unavailable,
            load.timeouts,
            seen.charges.len(),
            seen.events.len(),
            seen.dead_letters.len(),
            self.started.elapsed().as_secs_f64(),
            violations.len(),
        );
        for violation in violations.iter().take(40) {
            eprintln!("chaos {} VIOLATION: {violation}", self.name);
        }
        assert!(
            violations.is_empty(),
            "chaos {}: {} violations, first: {}",
            self.name,
            violations.len(),
            violations[0]
        );
    }
}

/// Where the scenario's system can be observed.
#[derive(Debug)]
pub(crate) struct World<'a> {
    pub(crate) api: &'a Api,
    pub(crate) nats_urls: String,
    pub(crate) provider: &'a FakePaymentProvider,
    /// Services whose in-flight work must drain before the checks.
    pub(crate) services: Vec<&'a ServiceProcess>,
}

async fn settle(world: &World<'_>, accepted: &[Accepted], timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    let mut open: Vec<&str> = accepted.iter().map(|a| a.order_id.as_str()).collect();
    loop {
        let views = futures::stream::iter(open.iter().map(|id| world.api.order(id))).buffered(16);
        let views: Vec<_> = views.collect().await;
        let mut views = views.into_iter();
        open.retain(|_| {
            let status = views.next().flatten().and_then(|v| v["status"].as_str().map(String::from));
            !matches!(status.as_deref(), Some("COMPLETED" | "FAILED"))
        });
        if open.is_empty() && quiet(world, accepted).await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn quiet(world: &World<'_>, accepted: &[Accepted]) -> bool {
    let idle = observe::saga_consumer(&world.nats_urls).await.is_ok_and(|c| c.pending == 0 && c.ack_pending == 0);
    if !idle {
        return false;
    }
    for service in &world.services {
        if service.is_running() && service.deliveries_in_flight().await != Some(0) {
            return false;
        }
    }
    let Ok(events) = observe::orders_stream(&world.nats_urls).await else {
        return false;
    };
    let ended: HashSet<&str> = events
        .iter()
        .filter(|e| e.subject == "ORDER.completed" || e.subject == "ORDER.failed")
        .filter_map(|e| e.order_id.as_deref())
        .collect();
    accepted.iter().all(|a| ended.contains(a.order_id.as_str()))
}

async fn observe_all(world: &World<'_>, load: &LoadReport) -> Observed {
    let api = world.api;
    let views = futures::stream::iter(load.accepted.iter().map(|a| async move { (a, api.order(&a.order_id).await) }));
    let orders = views.buffered(16).filter_map(|(a, v)| async move { Some((a.order_id.clone(), v?)) });
    let repeats = futures::stream::iter(
        load.accepted.iter().map(|a| async move { (a.key.clone(), api.repeat(&a.key, &a.body).await) }),
    );
    let mut stock = Vec::new();
    for (sku, initial) in STOCK {
        stock.push(StockLevel { sku, initial, levels: api.stock(sku).await });
    }
    let mut events = observe::orders_stream(&world.nats_urls).await;
    for _ in 0..20 {
        if events.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        events = observe::orders_stream(&world.nats_urls).await;
    }
    let (_, _, key_mismatches) = world.provider.figures();
    Observed {
        orders: orders.collect().await,
        events: events.unwrap_or_else(|e| panic!("cannot read ORDERS: {e}")),
        charges: world.provider.charge_list(),
        key_mismatches,
        stock,
        dead_letters: api.dead_letters().await.expect("GET /dlq answers"),
        repeats: repeats.buffered(16).collect().await,
    }
}
