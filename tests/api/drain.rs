//! Graceful drain of the real binary: SIGTERM while a client keeps placing
//! keyed orders. `/ready` turns 503 (or the port closes) at once, the process
//! exits 0 within SHUTDOWN_TIMEOUT_SECS, and on a restarted instance every
//! order that was answered 200/202 is terminal — none lost, none doubled.
//! Requests that got no answer are repeated with their `Idempotency-Key` on
//! the restarted instance, so the stream may hold no order that no request
//! accounts for.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::Value;

use crate::events::all_events;
use crate::helpers::start_service;
use crate::helpers::{ApiClient, WAIT, eventually, order_body};
use support::nats::NatsServer;

const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);
/// Orders accepted before SIGTERM; the client keeps going during the drain.
const ACCEPTED_BEFORE_SIGTERM: usize = 20;
/// Bound of the client's loop (it normally stops when the port closes).
const MAX_ORDERS: usize = 400;
const SUBMITTERS: usize = 4;
const STOCK: u64 = 10_000;

#[actix_web::test]
async fn sigterm_mid_load_drains_cleanly_and_loses_no_accepted_order() {
    let nats = NatsServer::start().await;
    let shutdown_secs = SHUTDOWN_TIMEOUT.as_secs().to_string();
    let env = [
        ("NATS_URL", nats.url()),
        ("PAYMENT_SIM_LATENCY_MS", "300"),
        ("SHUTDOWN_TIMEOUT_SECS", shutdown_secs.as_str()),
        ("ACK_WAIT_SECS", "5"),
    ];
    let mut first = start_service(&env).await;
    let api = ApiClient::new(first.address.clone(), nats.url());
    api.stock("SKU-D", STOCK).await;
    assert_eq!(api.get("/ready").await.status().as_u16(), 200, "ready before SIGTERM");

    let load = Load::start(&api);
    eventually(|| async { (load.accepted() >= ACCEPTED_BEFORE_SIGTERM).then_some(()) }, WAIT).await;
    let signalled = Instant::now();
    let (exit, ()) = tokio::join!(
        first.terminate(SHUTDOWN_TIMEOUT + Duration::from_secs(5)),
        eventually(|| not_ready(&api), Duration::from_secs(2)),
    );
    let drained_in = signalled.elapsed();
    let exit = exit.unwrap_or_else(|| panic!("still running {drained_in:?} after SIGTERM"));
    assert!(exit.success(), "exit after SIGTERM: {exit}");
    assert!(drained_in < SHUTDOWN_TIMEOUT + Duration::from_secs(2), "drain took {drained_in:?}");
    let outcomes = load.finish().await;

    let second = start_service(&env).await;
    let api = ApiClient::new(second.address.clone(), nats.url());
    let accepted = accepted_ids(&outcomes);
    assert!(accepted.len() >= ACCEPTED_BEFORE_SIGTERM, "{} orders accepted", accepted.len());
    let recovered = resubmit_unanswered(&api, &outcomes).await;
    let expected: HashSet<String> = accepted.iter().chain(&recovered).cloned().collect();
    let orders = join_all(expected.iter().map(|id| api.wait_terminal(id))).await;

    assert!(orders.iter().all(|o| o["status"] == "COMPLETED"), "not all completed: {orders:#?}");
    assert_events_exactly_once(api.nats_url.as_str(), &expected).await;
    api.assert_stock_eventually("SKU-D", (STOCK - expected.len() as u64, 0)).await;
}

/// What the client saw for one keyed `POST /orders`.
#[derive(Debug, Clone)]
enum Outcome {
    /// 200 or 202 with this order id.
    Accepted(String),
    /// Any other status, or no answer (connection refused or reset).
    Unanswered { status: Option<u16> },
}

/// Submitters placing keyed orders until the service stops answering.
struct Load {
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<Vec<(usize, Outcome)>>>,
}

impl Load {
    fn start(api: &ApiClient) -> Self {
        let (accepted, stop, next) = (Arc::default(), Arc::default(), Arc::new(AtomicUsize::new(0)));
        let tasks = (0..SUBMITTERS)
            .map(|_| {
                let submitter = Submitter {
                    api: api.clone(),
                    next: Arc::clone(&next),
                    accepted: Arc::clone(&accepted),
                    stop: Arc::clone(&stop),
                };
                tokio::spawn(submitter.run())
            })
            .collect();
        Self { accepted, stop, tasks }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Stops the submitters; every request's outcome by its index.
    async fn finish(self) -> HashMap<usize, Outcome> {
        self.stop.store(true, Ordering::SeqCst);
        let results = join_all(self.tasks).await;
        results.into_iter().flat_map(|r| r.expect("submitter task")).collect()
    }
}

struct Submitter {
    api: ApiClient,
    next: Arc<AtomicUsize>,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Submitter {
    async fn run(self) -> Vec<(usize, Outcome)> {
        let mut seen = Vec::new();
        while !self.stop.load(Ordering::SeqCst) {
            let index = self.next.fetch_add(1, Ordering::SeqCst);
            if index >= MAX_ORDERS {
                break;
            }
            let outcome = submit(&self.api, index).await;
            let gone = matches!(outcome, Outcome::Unanswered { status: None });
            if matches!(outcome, Outcome::Accepted(_)) {
                self.accepted.fetch_add(1, Ordering::SeqCst);
            }
            seen.push((index, outcome));
            if gone {
                break;
            }
        }
        seen
    }
}

fn body(index: usize) -> Value {
    order_body(&format!("drain-cust-{index}"), &[("SKU-D", 1, 100)], "tok_visa")
}

fn key(index: usize) -> String {
    format!("drain-key-{index}")
}

async fn submit(api: &ApiClient, index: usize) -> Outcome {
    let request = api.client.post(format!("{}/orders", api.address)).header("Idempotency-Key", key(index));
    let Ok(response) = request.json(&body(index)).send().await else {
        return Outcome::Unanswered { status: None };
    };
    let status = response.status().as_u16();
    let json: Option<Value> = response.json().await.ok();
    let id = json.as_ref().and_then(|j| j["order_id"].as_str()).map(String::from);
    match (status, id) {
        (200 | 202, Some(id)) => Outcome::Accepted(id),
        _ => Outcome::Unanswered { status: Some(status) },
    }
}

fn accepted_ids(outcomes: &HashMap<usize, Outcome>) -> Vec<String> {
    let ids = outcomes.values().filter_map(|o| match o {
        Outcome::Accepted(id) => Some(id.clone()),
        Outcome::Unanswered { .. } => None,
    });
    ids.collect()
}

/// Repeats every unanswered request with its key: one the first instance
/// stored without answering comes back 200 with its id, others are placed
/// now (202). Either way the order is then expected to complete.
async fn resubmit_unanswered(api: &ApiClient, outcomes: &HashMap<usize, Outcome>) -> Vec<String> {
    let unanswered = outcomes.iter().filter(|(_, o)| matches!(o, Outcome::Unanswered { .. }));
    let answers = join_all(unanswered.map(|(index, _)| submit(api, *index))).await;
    answers
        .into_iter()
        .map(|outcome| match outcome {
            Outcome::Accepted(id) => id,
            other => panic!("a keyed resubmission on the restarted instance was not accepted: {other:?}"),
        })
        .collect()
}

/// Each expected order has exactly one `ORDER.created` and one
/// `ORDER.completed`, and the stream holds no order outside `expected`.
async fn assert_events_exactly_once(nats_url: &str, expected: &HashSet<String>) {
    let events = all_events(nats_url).await;
    let mut counts: HashMap<(String, String), usize> = HashMap::new();
    for event in &events {
        let order = event.order_id.clone().unwrap_or_default();
        *counts.entry((order, event.subject.clone())).or_default() += 1;
    }
    for id in expected {
        for subject in ["ORDER.created", "ORDER.completed"] {
            let n = counts.get(&(id.clone(), subject.to_string())).copied().unwrap_or(0);
            assert_eq!(n, 1, "{subject} of {id}");
        }
    }
    let created: HashSet<String> =
        events.iter().filter(|e| e.subject == "ORDER.created").filter_map(|e| e.order_id.clone()).collect();
    let orphans: Vec<_> = created.difference(expected).collect();
    assert!(orphans.is_empty(), "orders stored that no client request accounts for: {orphans:?}");
}

/// `Some(())` once `/ready` is 503 or nothing listens any more.
async fn not_ready(api: &ApiClient) -> Option<()> {
    match api.client.get(format!("{}/ready", api.address)).send().await {
        Ok(response) => (response.status().as_u16() == 503).then_some(()),
        Err(_) => Some(()),
    }
}
