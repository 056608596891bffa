//! `ScriptedProvider`: a payment provider for the chaos suite. It serves
//! `POST /v1/charges` like the real HTTP gateway's counterpart and, like a
//! real provider, charges at most once per `Idempotency-Key`: a repeat of a
//! key gets the first outcome back and is not a new charge.
//!
//! Faults are scripted by chance per call (`FaultPlan`), on top of the
//! declines of `tok_decline*` tokens:
//! - 503 before charging (nothing happened);
//! - 503 after charging (the charge is made, the answer says otherwise);
//! - a hang: the charge is made, the answer comes after `hang_for`, longer
//!   than the service's `PAYMENT_TIMEOUT_MS` (the caller has given up).
//!
//! The ledger keeps every charge with the order id from the body, so the
//! invariants can count charges per order however the keys were chosen.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use rand::Rng;
use serde_json::{Value, json};

/// Chances (0.0..=1.0) of each fault per call.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FaultPlan {
    pub(crate) fail_before: f64,
    pub(crate) fail_after: f64,
    pub(crate) hang: f64,
    pub(crate) hang_for: Duration,
    /// Time every call takes before it is decided (a slow provider).
    pub(crate) latency: Duration,
}

/// One real charge.
#[derive(Debug, Clone)]
pub(crate) struct Charge {
    pub(crate) order_id: String,
    pub(crate) amount_minor: i64,
    pub(crate) charge_id: String,
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
    calls: usize,
    faults: usize,
    /// Idempotency-Key → outcome (a key is decided once).
    decided: HashMap<String, Decided>,
    charges: Vec<Charge>,
    /// Repeats of a key with another amount or order: a real provider
    /// rejects them; here they are counted as evidence of a bug.
    key_mismatches: usize,
    bodies: HashMap<String, (String, i64)>,
}

#[derive(Debug)]
struct Shared(Mutex<Ledger>);

impl Shared {
    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The provider; stopped when dropped.
#[derive(Debug)]
pub(crate) struct ScriptedProvider {
    pub(crate) address: std::net::SocketAddr,
    shared: Arc<Shared>,
    server: actix_web::dev::ServerHandle,
}

impl ScriptedProvider {
    /// Starts on 127.0.0.1:0 inside the current actix System, without faults.
    pub(crate) fn start() -> Self {
        let shared = Arc::new(Shared(Mutex::default()));
        let data = web::Data::from(shared.clone());
        let (address, handle) = crate::helpers::serve_on_loopback("scripted payment provider", move |cfg| {
            cfg.app_data(data.clone()).route("/v1/charges", web::post().to(charge));
        });
        Self { address, shared, server: handle }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub(crate) fn script(&self, plan: FaultPlan) {
        self.shared.ledger().plan = plan;
    }

    /// Every real charge (one per decided key).
    pub(crate) fn charges(&self) -> Vec<Charge> {
        self.shared.ledger().charges.clone()
    }

    /// `(calls, faults served, key mismatches)`.
    pub(crate) fn figures(&self) -> (usize, usize, usize) {
        let ledger = self.shared.ledger();
        (ledger.calls, ledger.faults, ledger.key_mismatches)
    }
}

impl Drop for ScriptedProvider {
    fn drop(&mut self) {
        if tokio::runtime::Handle::try_current().is_ok() {
            actix_web::rt::spawn(self.server.stop(false));
        }
    }
}

async fn charge(shared: web::Data<Shared>, request: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    let Some(key) = request.headers().get("Idempotency-Key").and_then(|v| v.to_str().ok()).map(String::from) else {
        return HttpResponse::BadRequest().json(json!({"error": "Idempotency-Key required"}));
    };
    let (fault, plan) = pick_fault(&shared);
    tokio::time::sleep(plan.latency).await;
    if fault == Fault::FailBefore {
        return unavailable();
    }
    let decided = decide(&shared, &key, &body);
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

fn pick_fault(shared: &Shared) -> (Fault, FaultPlan) {
    let mut ledger = shared.ledger();
    ledger.calls += 1;
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
    (fault, plan)
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
        let charge_id = format!("ch_chaos_{}", ledger.charges.len() + 1);
        ledger.charges.push(Charge { order_id, amount_minor: amount, charge_id: charge_id.clone() });
        Decided::Charged(charge_id)
    };
    ledger.decided.insert(key.to_string(), decided.clone());
    decided
}
