//! [`InventoryError`]: an [`Error`] of [`InventoryErrorKind`], keeping the
//! bridge error (or the reason) that caused it.

use crate::bridge::BridgeError;
use crate::error::{Error, ErrorKind, Transience};

/// Why a stock change or read failed.
pub type InventoryError = Error<InventoryErrorKind>;

/// The kinds of [`InventoryError`]. Only `Permanent` is permanent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InventoryErrorKind {
    /// NATS unavailable or too much contention: try again later.
    #[error("inventory store unavailable")]
    Unavailable,
    /// A stored record is unreadable or the request can never succeed.
    #[error("inventory error")]
    Permanent,
    /// A newer run of the order owns its stock; this run must stop.
    #[error("superseded")]
    Superseded,
    /// The actor crashed handling this message and is being restarted.
    #[error("inventory actor crashed")]
    Crashed,
}

impl ErrorKind for InventoryErrorKind {
    fn transience(self) -> Transience {
        match self {
            Self::Permanent => Transience::Permanent,
            Self::Unavailable | Self::Superseded | Self::Crashed => Transience::Transient,
        }
    }
}

impl From<BridgeError> for InventoryError {
    fn from(e: BridgeError) -> Self {
        let kind = match e.is_transient() {
            true => InventoryErrorKind::Unavailable,
            false => InventoryErrorKind::Permanent,
        };
        Self::caused_by(kind, e)
    }
}
