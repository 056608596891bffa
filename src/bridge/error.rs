//! Bridge errors: [`BridgeError`] is an [`Error`] of [`BridgeErrorKind`],
//! keeping the async-nats (or serde) error that caused it.

use crate::error::{Error, ErrorKind, Transience};

/// What went wrong talking to NATS.
pub type BridgeError = Error<BridgeErrorKind>;

/// The kinds of [`BridgeError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BridgeErrorKind {
    /// No connection to NATS right now (transient).
    #[error("NATS is not connected")]
    Disconnected,
    /// A request timed out or the connection broke mid-request; the outcome
    /// is unknown (transient: retry idempotently).
    #[error("NATS request failed")]
    Unavailable,
    /// Compare-and-set lost: the record changed since it was read.
    #[error("revision conflict")]
    Conflict,
    /// Create-if-absent found an existing record.
    #[error("record already exists")]
    AlreadyExists,
    /// A stored value could not be decoded (permanent).
    #[error("stored value is corrupt")]
    Corrupt,
    /// The server refused the request for a reason retrying will not fix
    /// (invalid key, permission, payload too large).
    #[error("NATS rejected the request")]
    Rejected,
}

impl ErrorKind for BridgeErrorKind {
    fn transience(self) -> Transience {
        match self {
            Self::Disconnected | Self::Unavailable => Transience::Transient,
            Self::Conflict | Self::AlreadyExists | Self::Corrupt | Self::Rejected => Transience::Permanent,
        }
    }
}

/// A (de)serialization failure of the record at `key`.
#[derive(Debug, thiserror::Error)]
#[error("{key}: {source}")]
pub struct AtKey {
    pub key: String,
    #[source]
    pub source: serde_json::Error,
}

impl BridgeError {
    /// The request's outcome is unknown or NATS is unreachable.
    pub fn unavailable(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::with_source(BridgeErrorKind::Unavailable, source)
    }

    /// The server refused the request; retrying cannot help.
    pub fn rejected(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::with_source(BridgeErrorKind::Rejected, source)
    }

    /// The record at `key` could not be decoded or encoded.
    pub fn corrupt(key: &str, source: serde_json::Error) -> Self {
        Self::with_source(BridgeErrorKind::Corrupt, AtKey { key: key.to_string(), source })
    }
}
