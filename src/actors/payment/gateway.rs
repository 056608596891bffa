//! The provider-neutral payment contract.
//!
//! A charge is identified by its idempotency key (the order id), so asking
//! twice can never charge twice at a provider that honours the key.
//! Outcomes: captured, declined (permanent) or an error; an unknown outcome
//! (timeout, 5xx, connection error) is always a transient error, never a
//! decline.

use futures::future::BoxFuture;

use crate::error::{Error, ErrorKind, Transience};

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

/// Why a charge has no definite answer; always worth retrying with the
/// same idempotency key. Keeps the HTTP client's error as its source.
pub type PaymentError = Error<PaymentErrorKind>;

/// The kinds of [`PaymentError`]; both are transient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PaymentErrorKind {
    /// The outcome is unknown or the provider is unavailable: retry with
    /// the same idempotency key.
    #[error("payment provider unavailable")]
    Unavailable,
    /// The payment actor crashed on this request and is being restarted.
    #[error("payment actor crashed")]
    Crashed,
}

impl ErrorKind for PaymentErrorKind {
    fn transience(self) -> Transience {
        match self {
            Self::Unavailable | Self::Crashed => Transience::Transient,
        }
    }
}

impl PaymentError {
    /// No definite answer from the provider (`source` says why).
    pub fn unavailable(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::with_source(PaymentErrorKind::Unavailable, source)
    }
}

/// A payment provider.
pub trait PaymentGateway: Send + Sync + std::fmt::Debug {
    /// Starts one charge. The returned call does not borrow `request`: a
    /// call waiting on the provider holds only what the gateway keeps of it
    /// (the HTTP body, or the simulator's answer).
    fn charge(&self, request: &ChargeRequest) -> BoxFuture<'static, Result<PaymentOutcome, PaymentError>>;
}
