//! Bridge errors, classified for retry decisions.

/// What went wrong talking to NATS.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    /// No connection to NATS right now (transient).
    #[error("NATS is not connected")]
    Disconnected,
    /// A request timed out or the connection broke mid-request; the outcome
    /// is unknown (transient: retry idempotently).
    #[error("NATS request failed: {0}")]
    Unavailable(String),
    /// Compare-and-set lost: the record changed since it was read.
    #[error("revision conflict on {key}")]
    Conflict { key: String },
    /// Create-if-absent found an existing record.
    #[error("{key} already exists")]
    AlreadyExists { key: String },
    /// A stored value could not be decoded (permanent).
    #[error("stored value for {key} is corrupt: {reason}")]
    Corrupt { key: String, reason: String },
    /// The server refused the request for a reason retrying will not fix.
    #[error("NATS rejected the request: {0}")]
    Rejected(String),
}

impl BridgeError {
    /// Whether retrying the same request may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Disconnected | Self::Unavailable(_))
    }
}
