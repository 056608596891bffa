//! [`IntakeError`]: why an order was not accepted or not read, an [`Error`]
//! of [`IntakeErrorKind`] keeping the bridge error that caused it.

use crate::bridge::BridgeError;
use crate::error::{Error, ErrorKind, Transience};

/// Why intake could not accept or read an order.
pub type IntakeError = Error<IntakeErrorKind>;

/// The kinds of [`IntakeError`]. The `Display` of the transient kinds is
/// what a client reads in the 503.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IntakeErrorKind {
    /// The order store or stream is unavailable, or the outcome is unknown.
    #[error("order not accepted, try again")]
    Unavailable,
    /// The Idempotency-Key was used before with a different body (a 422).
    #[error("Idempotency-Key was already used with a different request body")]
    KeyReused,
    /// A failure retrying cannot fix (NATS refused, a corrupt record, a panic).
    #[error("internal error")]
    Internal,
}

impl ErrorKind for IntakeErrorKind {
    fn transience(self) -> Transience {
        match self {
            Self::Unavailable => Transience::Transient,
            Self::KeyReused | Self::Internal => Transience::Permanent,
        }
    }

    fn refusal(self) -> Option<&'static str> {
        match self {
            Self::KeyReused => Some("idempotency_key_reused"),
            _ => None,
        }
    }
}

impl From<BridgeError> for IntakeError {
    fn from(e: BridgeError) -> Self {
        let kind = match e.is_transient() {
            true => IntakeErrorKind::Unavailable,
            false => IntakeErrorKind::Internal,
        };
        Self::caused_by(kind, e)
    }
}

impl From<actix::MailboxError> for IntakeError {
    fn from(e: actix::MailboxError) -> Self {
        Self::with_source(IntakeErrorKind::Unavailable, e)
    }
}
