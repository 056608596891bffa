//! `FakePaymentProvider`: a real HTTP payment provider on 127.0.0.1:0 that
//! implements `POST /v1/charges` like a Stripe-style API.
//!
//! It records every request, and charges at most once per `Idempotency-Key`
//! (a repeat returns the first charge_id). Behaviour is scriptable: tokens
//! starting `tok_decline` get 402, `fail_next(n)` answers 503 to the next n
//! calls before charging, and `hold()` keeps responses (after the charge was
//! made) until `release()`, which models "charged, but the answer was lost".

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use tokio::sync::watch;

/// One call the provider received.
#[derive(Debug, Clone)]
pub(crate) struct ChargeRequest {
    pub(crate) idempotency_key: Option<String>,
    pub(crate) body: Value,
}

#[derive(Debug, Default)]
struct Ledger {
    requests: Vec<ChargeRequest>,
    /// Idempotency-Key → charge_id: one entry per real charge.
    charges: HashMap<String, String>,
    fail_next: usize,
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

enum Outcome {
    Unavailable,
    BadRequest,
    Declined,
    Charged(String),
}

/// The fake provider; stopped when dropped.
#[derive(Debug)]
pub(crate) struct FakePaymentProvider {
    pub(crate) url: String,
    shared: Arc<Shared>,
    server: actix_web::dev::ServerHandle,
}

impl FakePaymentProvider {
    /// Starts the provider inside the current actix System.
    pub(crate) fn start() -> Self {
        let shared = Arc::new(Shared { ledger: Mutex::default(), held: watch::Sender::new(false) });
        let data = web::Data::from(shared.clone());
        let (address, handle) = crate::helpers::serve_on_loopback("fake payment provider", move |cfg| {
            cfg.app_data(data.clone()).route("/v1/charges", web::post().to(charge));
        });
        Self { url: format!("http://{address}"), shared, server: handle }
    }

    /// Answers the next `n` calls with 503 without charging.
    pub(crate) fn fail_next(&self, n: usize) {
        self.shared.ledger().fail_next = n;
    }

    /// Holds every answer (charges are still made) until `release`.
    pub(crate) fn hold(&self) {
        self.shared.held.send_replace(true);
    }

    pub(crate) fn release(&self) {
        self.shared.held.send_replace(false);
    }

    /// Every request received so far.
    pub(crate) fn requests(&self) -> Vec<ChargeRequest> {
        self.shared.ledger().requests.clone()
    }

    /// How many distinct charges were made.
    pub(crate) fn charges(&self) -> usize {
        self.shared.ledger().charges.len()
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
    let key = request.headers().get("Idempotency-Key").and_then(|v| v.to_str().ok()).map(String::from);
    let outcome = record(&shared, key, body.into_inner());
    let mut held = shared.held.subscribe();
    let _ = held.wait_for(|held| !*held).await;
    match outcome {
        Outcome::Unavailable => HttpResponse::ServiceUnavailable().json(json!({"error": "try again"})),
        Outcome::BadRequest => HttpResponse::BadRequest().json(json!({"error": "Idempotency-Key required"})),
        Outcome::Declined => HttpResponse::PaymentRequired().json(json!({"error": "card_declined"})),
        Outcome::Charged(id) => HttpResponse::Ok().json(json!({"charge_id": id, "status": "succeeded"})),
    }
}

fn record(shared: &Shared, key: Option<String>, body: Value) -> Outcome {
    let mut ledger = shared.ledger();
    ledger.requests.push(ChargeRequest { idempotency_key: key.clone(), body: body.clone() });
    if ledger.fail_next > 0 {
        ledger.fail_next -= 1;
        return Outcome::Unavailable;
    }
    let Some(key) = key else {
        return Outcome::BadRequest;
    };
    if body["payment_token"].as_str().is_some_and(|t| t.starts_with("tok_decline")) {
        return Outcome::Declined;
    }
    let next_id = format!("ch_{}", ledger.charges.len() + 1);
    Outcome::Charged(ledger.charges.entry(key).or_insert(next_id).clone())
}
