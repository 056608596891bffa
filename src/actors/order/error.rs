//! [`SagaError`]: why a saga run stopped short, an [`Error`] of
//! [`SagaErrorKind`]. A dependency's error (bridge, inventory, payment) is
//! kept whole as the source and keeps its classification: transient →
//! `Unavailable` (nak, redelivered), permanent → `Refused` (dead-lettered).

use crate::actors::inventory::InventoryError;
use crate::actors::payment::PaymentError;
use crate::bridge::BridgeError;
use crate::error::{Error, ErrorKind, Transience};

/// Why a saga run stopped short.
pub type SagaError = Error<SagaErrorKind>;

/// The kinds of [`SagaError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SagaErrorKind {
    /// NATS, the provider, the inventory or an actor is unavailable (or a
    /// record vanished): try again later.
    #[error("saga step failed transiently")]
    Unavailable,
    /// The saga panicked; the run is retried on the next delivery.
    #[error("saga step failed transiently")]
    Crashed,
    /// Another attempt or writer is under way (the payment claim is live,
    /// the order record is not written yet): try again later.
    #[error("saga step failed transiently")]
    InProgress,
    /// A dependency failed for good (NATS refused, a stored record is
    /// corrupt, the inventory answered a permanent error).
    #[error("saga cannot proceed")]
    Refused,
    /// The order's record allows no such step or transition.
    #[error("saga cannot proceed")]
    Invalid,
}

impl ErrorKind for SagaErrorKind {
    fn transience(self) -> Transience {
        match self {
            Self::Unavailable | Self::Crashed | Self::InProgress => Transience::Transient,
            Self::Refused | Self::Invalid => Transience::Permanent,
        }
    }
}

impl SagaError {
    /// A dependency's error, kept as the source, with its classification.
    pub fn from_dependency<K: ErrorKind>(e: Error<K>) -> Self {
        let kind = match e.is_transient() {
            true => SagaErrorKind::Unavailable,
            false => SagaErrorKind::Refused,
        };
        Self::caused_by(kind, e)
    }
}

impl From<BridgeError> for SagaError {
    fn from(e: BridgeError) -> Self {
        Self::from_dependency(e)
    }
}

impl From<InventoryError> for SagaError {
    fn from(e: InventoryError) -> Self {
        Self::from_dependency(e)
    }
}

impl From<PaymentError> for SagaError {
    fn from(e: PaymentError) -> Self {
        Self::from_dependency(e)
    }
}

impl From<actix::MailboxError> for SagaError {
    fn from(e: actix::MailboxError) -> Self {
        Self::with_source(SagaErrorKind::Unavailable, e)
    }
}
