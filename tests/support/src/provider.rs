//! `FakePaymentProvider`: a real HTTP payment provider on 127.0.0.1:0 that
//! serves `POST /v1/charges` like the Stripe-style API the service calls.
//!
//! Like a real provider it charges at most once per `Idempotency-Key`: a
//! repeat of a key gets the first outcome back (charge ids `ch_1`, `ch_2`,
//! ... in charge order); tokens starting `tok_decline` get 402; a call
//! without a key gets 400. It records every request (key, body,
//! `traceparent`) and every charge with the body's order id and amount, and
//! counts repeats of a key with another order or amount (a real provider
//! rejects them; here they are evidence of a bug).
//!
//! Scripted behaviour:
//! - `fail_next(n)`: 503 to the next n calls, before charging;
//! - `hold()` … `release()`: answers wait (the charge is already made),
//!   which models "charged, but the answer was lost";
//! - `script(FaultPlan)`: per call, by chance, 503 before charging, 503
//!   after charging, or a hang past the caller's timeout, and a latency.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use rand::Rng;
use serde_json::{Value, json};
use tokio::sync::watch;

/// Chances (0.0..=1.0) of each fault per call.
#[derive(Debug, Clone, Copy, Default)]
pub struct FaultPlan {
    pub fail_before: f64,
    pub fail_after: f64,
    pub hang: f64,
    pub hang_for: Duration,
    /// Time every call takes before it is decided (a slow provider).
    pub latency: Duration,
}

/// One call the provider received.
#[derive(Debug, Clone)]
pub struct ChargeRequest {
    pub idempotency_key: Option<String>,
    pub traceparent: Option<String>,
    pub body: Value,
}

/// One real charge.
#[derive(Debug, Clone)]
pub struct Charge {
    pub order_id: String,
    pub amount_minor: i64,
    pub charge_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    FailBefore,
    FailAfter,
    Hang,
}

#[derive(Debug, Clone)]
enum Decided {
    Charged(String),
    Declined,
}

#[derive(Debug, Default)]
struct Ledger {
    plan: FaultPlan,
    fail_next: usize,
    requests: Vec<ChargeRequest>,
    faults: usize,
    /// Idempotency-Key → outcome (a key is decided once).
    decided: HashMap<String, Decided>,
    charges: Vec<Charge>,
    /// Idempotency-Key → the first call's (order id, amount).
    bodies: HashMap<String, (String, i64)>,
    key_mismatches: usize,
}

#[derive(Debug)]
struct Shared {
    ledger: Mutex<Ledger>,
    held: watch::Sender<bool>,
}

impl Shared {
    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The fake provider; stopped when dropped.
#[derive(Debug)]
pub struct FakePaymentProvider {
    /// `http://127.0.0.1:PORT`, the service's `PAYMENT_GATEWAY_URL`.
    pub url: String,
    pub address: std::net::SocketAddr,
    shared: Arc<Shared>,
    server: actix_web::dev::ServerHandle,
}

impl FakePaymentProvider {
    /// Starts the provider inside the current actix System, without faults.
    pub fn start() -> Self {
        let shared = Arc::new(Shared { ledger: Mutex::default(), held: watch::Sender::new(false) });
        let data = web::Data::from(shared.clone());
        let (address, server) = crate::http::serve_on_loopback("fake payment provider", move |cfg| {
            cfg.app_data(data.clone()).route("/v1/charges", web::post().to(charge));
        });
        Self { url: format!("http://{address}"), address, shared, server }
    }

    /// Answers the next `n` calls with 503 without charging.
    pub fn fail_next(&self, n: usize) {
        self.shared.ledger().fail_next = n;
    }

    /// Faults by chance from now on (`FaultPlan::default()`: none).
    pub fn script(&self, plan: FaultPlan) {
        self.shared.ledger().plan = plan;
    }

    /// Holds every answer (charges are still made) until `release`.
    pub fn hold(&self) {
        self.shared.held.send_replace(true);
    }

    pub fn release(&self) {
        self.shared.held.send_replace(false);
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<ChargeRequest> {
        self.shared.ledger().requests.clone()
    }

    /// How many distinct charges were made.
    pub fn charges(&self) -> usize {
        self.shared.ledger().charges.len()
    }

    /// Every real charge (one per charged key).
    pub fn charge_list(&self) -> Vec<Charge> {
        self.shared.ledger().charges.clone()
    }

    /// `(calls, faults served, key mismatches)`.
    pub fn figures(&self) -> (usize, usize, usize) {
        let ledger = self.shared.ledger();
        (ledger.requests.len(), ledger.faults, ledger.key_mismatches)
    }
}

impl Drop for FakePaymentProvider {
    fn drop(&mut self) {
        self.release();
        // Stopping is async: fire and forget, the test System is ending anyway.
        if tokio::runtime::Handle::try_current().is_ok() {
            actix_web::rt::spawn(self.server.stop(false));
        }
    }
}

async fn charge(shared: web::Data<Shared>, request: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok()).map(String::from);
    let (key, body) = (header("Idempotency-Key"), body.into_inner());
    let call = ChargeRequest { idempotency_key: key.clone(), traceparent: header("traceparent"), body: body.clone() };
    let Some((fault, plan)) = take_call(&shared, call) else {
        return unavailable();
    };
    let Some(key) = key else {
        return HttpResponse::BadRequest().json(json!({"error": "Idempotency-Key required"}));
    };
    tokio::time::sleep(plan.latency).await;
    if fault == Fault::FailBefore {
        return unavailable();
    }
    let decided = decide(&shared, &key, &body);
    let _ = shared.held.subscribe().wait_for(|held| !*held).await;
    match fault {
        Fault::FailAfter => return unavailable(),
        Fault::Hang => tokio::time::sleep(plan.hang_for).await,
        Fault::None | Fault::FailBefore => {}
    }
    match decided {
        Decided::Charged(id) => HttpResponse::Ok().json(json!({"charge_id": id, "status": "succeeded"})),
        Decided::Declined => HttpResponse::PaymentRequired().json(json!({"error": "card_declined"})),
    }
}

fn unavailable() -> HttpResponse {
    HttpResponse::ServiceUnavailable().json(json!({"error": "try again"}))
}

/// Records the call; `None` when `fail_next` answers it, else its fault.
fn take_call(shared: &Shared, call: ChargeRequest) -> Option<(Fault, FaultPlan)> {
    let mut ledger = shared.ledger();
    ledger.requests.push(call);
    if ledger.fail_next > 0 {
        ledger.fail_next -= 1;
        return None;
    }
    let plan = ledger.plan;
    let roll: f64 = rand::rng().random_range(0.0..1.0);
    let fault = if roll < plan.fail_before {
        Fault::FailBefore
    } else if roll < plan.fail_before + plan.fail_after {
        Fault::FailAfter
    } else if roll < plan.fail_before + plan.fail_after + plan.hang {
        Fault::Hang
    } else {
        Fault::None
    };
    if fault != Fault::None {
        ledger.faults += 1;
    }
    Some((fault, plan))
}

/// The key's outcome: decided on its first call that got this far, then
/// replayed for every repeat (idempotency, as a real provider does).
fn decide(shared: &Shared, key: &str, body: &Value) -> Decided {
    let mut ledger = shared.ledger();
    let order_id = body["order_id"].as_str().unwrap_or_default().to_string();
    let amount = body["amount_minor"].as_i64().unwrap_or(-1);
    match ledger.bodies.get(key) {
        Some(first) if *first != (order_id.clone(), amount) => ledger.key_mismatches += 1,
        Some(_) => {}
        None => {
            ledger.bodies.insert(key.to_string(), (order_id.clone(), amount));
        }
    }
    if let Some(decided) = ledger.decided.get(key) {
        return decided.clone();
    }
    let decided = if body["payment_token"].as_str().is_some_and(|t| t.starts_with("tok_decline")) {
        Decided::Declined
    } else {
        let charge_id = format!("ch_{}", ledger.charges.len() + 1);
        ledger.charges.push(Charge { order_id, amount_minor: amount, charge_id: charge_id.clone() });
        Decided::Charged(charge_id)
    };
    ledger.decided.insert(key.to_string(), decided.clone());
    decided
}
