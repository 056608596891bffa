//! The provider-neutral payment contract.
//!
//! A charge is identified by its idempotency key (the order id), so asking
//! twice can never charge twice at a provider that honours the key.
//! Outcomes: captured, declined (permanent) or an error; an unknown outcome
//! (timeout, 5xx, connection error) is always a transient error, never a
//! decline.

use futures::future::BoxFuture;

/// What to charge.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChargeRequest {
    pub order_id: String,
    pub customer_id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub payment_token: String,
}

impl ChargeRequest {
    /// Sent as the provider's `Idempotency-Key` header: the order id, so it
    /// is stable across every attempt, run and replica.
    pub fn idempotency_key(&self) -> &str {
        &self.order_id
    }
}

/// A definite answer from the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentOutcome {
    Captured { charge_id: String },
    Declined { reason: String },
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum PaymentError {
    /// The outcome is unknown or the provider is unavailable: retry with
    /// the same idempotency key.
    #[error("payment provider unavailable: {0}")]
    Transient(String),
    /// The payment actor crashed on this request and is being restarted.
    #[error("payment actor crashed: {0}")]
    Crashed(String),
}

impl PaymentError {
    pub fn is_transient(&self) -> bool {
        true
    }
}

/// A payment provider.
pub trait PaymentGateway: Send + Sync + std::fmt::Debug {
    /// Starts one charge. The returned call does not borrow `request`: a
    /// call waiting on the provider holds only what the gateway keeps of it
    /// (the HTTP body, or the simulator's answer).
    fn charge(&self, request: &ChargeRequest) -> BoxFuture<'static, Result<PaymentOutcome, PaymentError>>;
}
