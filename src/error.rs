//! The crate's error shape: [`Error<K>`], a kind a caller can match and the
//! kept cause, in the style of async-nats' `Error<Kind>`.
//!
//! Each boundary (bridge, inventory, payment, saga, intake) defines its kind
//! enum and says, once per kind, whether it is [`Transience::Transient`]
//! (retrying the same request may succeed: nak, retry, HTTP 503) or
//! [`Transience::Permanent`] (it cannot: dead-letter, fail the order, HTTP
//! 500). [`Error::is_transient`] is the one place that reads it; the HTTP
//! mapping is `From<Error<K>> for http::ApiError`. Nothing here fails.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

/// Whether retrying the same request may succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transience {
    /// It may: retry later (the outcome may be unknown, so retry idempotently).
    Transient,
    /// It cannot: retrying repeats the same failure.
    Permanent,
}

/// An error kind: a plain enum a caller matches, with its classification.
pub trait ErrorKind: fmt::Debug + fmt::Display + Copy + Eq + Send + Sync + 'static {
    /// Whether an error of this kind is worth retrying.
    fn transience(self) -> Transience;

    /// `Some(code)` when the request itself is refused (a client error,
    /// HTTP 422 with this code) rather than failed; `None` for most kinds.
    fn refusal(self) -> Option<&'static str> {
        None
    }
}

/// What caused an error: another error, or a message saying what failed.
pub type Source = Arc<dyn StdError + Send + Sync>;

/// An error of kind `K`, keeping its cause as [`std::error::Error::source`].
/// Displays as `"<kind>"` or `"<kind>: <source>"`. Cloneable (the source is
/// shared), so one failure can answer every request of a batch.
#[derive(Clone)]
pub struct Error<K> {
    kind: K,
    source: Option<Source>,
}

impl<K: ErrorKind> Error<K> {
    /// An error with no further cause.
    pub fn new(kind: K) -> Self {
        Self { kind, source: None }
    }

    /// An error caused by `source` (an error, or a message as `String`/`&str`).
    pub fn with_source(kind: K, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self { kind, source: Some(Arc::from(source.into())) }
    }

    /// An error of `kind` caused by `source`, another kinded error, kept whole.
    pub fn caused_by<J: ErrorKind>(kind: K, source: Error<J>) -> Self {
        Self { kind, source: Some(Arc::new(source)) }
    }

    pub fn kind(&self) -> K {
        self.kind
    }

    /// Whether retrying may succeed: the kind's classification. The only
    /// `is_transient` of the crate.
    pub fn is_transient(&self) -> bool {
        self.kind.transience() == Transience::Transient
    }
}

impl<K: ErrorKind> From<K> for Error<K> {
    fn from(kind: K) -> Self {
        Self::new(kind)
    }
}

impl<K: ErrorKind> fmt::Display for Error<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Some(source) => write!(f, "{}: {source}", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

impl<K: ErrorKind> fmt::Debug for Error<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error").field("kind", &self.kind).field("source", &self.source).finish()
    }
}

impl<K: ErrorKind> StdError for Error<K> {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|s| s as &(dyn StdError + 'static))
    }
}

/// A cause with what was being done: displays as `"<what>: <source>"` and
/// keeps `source` reachable.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {source}")]
pub struct Context {
    what: String,
    #[source]
    source: Box<dyn StdError + Send + Sync>,
}

impl Context {
    pub fn new(what: impl Into<String>, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self { what: what.into(), source: source.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Kind {
        Down,
        Broken,
    }

    impl fmt::Display for Kind {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(match self {
                Self::Down => "down",
                Self::Broken => "broken",
            })
        }
    }

    impl ErrorKind for Kind {
        fn transience(self) -> Transience {
            match self {
                Self::Down => Transience::Transient,
                Self::Broken => Transience::Permanent,
            }
        }
    }

    #[test]
    fn an_error_keeps_its_kind_and_its_cause() {
        let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out");
        let e = Error::with_source(Kind::Down, io);
        assert_eq!(e.kind(), Kind::Down);
        assert!(e.is_transient());
        assert_eq!(e.to_string(), "down: timed out");
        let cause = e.source().and_then(|s| s.downcast_ref::<std::io::Error>()).map(|io| io.kind());
        assert_eq!(cause, Some(std::io::ErrorKind::TimedOut));
    }

    #[test]
    fn a_wrapped_error_stays_reachable_through_source() {
        let inner = Error::with_source(Kind::Down, "no route");
        let outer = Error::caused_by(Kind::Broken, inner);
        assert!(!outer.is_transient());
        assert_eq!(outer.to_string(), "broken: down: no route");
        let kept = outer.source().and_then(|s| s.downcast_ref::<Error<Kind>>()).map(Error::kind);
        assert_eq!(kept, Some(Kind::Down));
        assert_eq!(Error::new(Kind::Broken).to_string(), "broken");
    }
}
