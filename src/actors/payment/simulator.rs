//! Built-in payment simulator (the default when `PAYMENT_GATEWAY_URL` is
//! unset): same semantics as the HTTP provider, in process. Tokens starting
//! `tok_decline` are declined; latency and a transient failure rate are
//! configurable for demos. The charge id is derived from the idempotency
//! key (sha256), so a repeated key gets the same charge id without the
//! simulator remembering anything: its memory does not grow with orders.

use futures::FutureExt;
use futures::future::BoxFuture;
use sha2::{Digest, Sha256};
use std::fmt::Write;
use std::time::Duration;

use super::{ChargeRequest, PaymentError, PaymentGateway, PaymentOutcome};

#[derive(Debug, Clone, Default)]
pub struct Simulator {
    latency: Duration,
    failure_rate: f64,
}

impl Simulator {
    pub fn new(latency: Duration, failure_rate: f64) -> Self {
        Self { latency, failure_rate }
    }

    fn decide(&self, request: &ChargeRequest) -> Result<PaymentOutcome, PaymentError> {
        if request.payment_token.starts_with("tok_decline") {
            return Ok(PaymentOutcome::Declined { reason: "card_declined (simulated)".into() });
        }
        if self.failure_rate > 0.0 && rand::random::<f64>() < self.failure_rate {
            return Err(PaymentError::unavailable("simulated provider outage"));
        }
        Ok(PaymentOutcome::Captured { charge_id: charge_id(request.idempotency_key()) })
    }
}

/// `ch_sim_` and the first 16 bytes of sha256(key) in hex.
fn charge_id(idempotency_key: &str) -> String {
    let digest = Sha256::digest(idempotency_key.as_bytes());
    digest[..16].iter().fold(String::from("ch_sim_"), |mut id, byte| {
        let _ = write!(id, "{byte:02x}");
        id
    })
}

impl PaymentGateway for Simulator {
    /// Decides at once and answers after the latency: while it waits (on a
    /// slow simulated provider, thousands of calls at once) the call holds
    /// only its answer, as an HTTP call holds only its serialized body.
    fn charge(&self, request: &ChargeRequest) -> BoxFuture<'static, Result<PaymentOutcome, PaymentError>> {
        let (latency, outcome) = (self.latency, self.decide(request));
        async move {
            if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            outcome
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(token: &str, key: &str) -> ChargeRequest {
        ChargeRequest {
            order_id: key.into(),
            customer_id: "c".into(),
            amount_minor: 100,
            currency: "USD".into(),
            payment_token: token.into(),
        }
    }

    #[test]
    fn decline_tokens_are_declined() {
        let outcome = Simulator::default().decide(&request("tok_decline_insufficient", "k"));
        assert!(matches!(outcome, Ok(PaymentOutcome::Declined { .. })));
    }

    #[test]
    fn the_same_key_gets_the_same_charge() {
        let sim = Simulator::default();
        let first = sim.decide(&request("tok_visa", "k1"));
        assert_eq!(first.clone().ok(), sim.decide(&request("tok_visa", "k1")).ok());
        assert_ne!(first.ok(), sim.decide(&request("tok_visa", "k2")).ok());
    }

    #[test]
    fn failure_rate_one_always_fails_transiently() {
        let sim = Simulator::new(Duration::ZERO, 1.0);
        assert!(matches!(sim.decide(&request("tok_visa", "k")), Err(ref e) if e.is_transient()));
    }
}
