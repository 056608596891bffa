//! Typed JSON records in a JetStream KV bucket with compare-and-set.
//!
//! Every write states the revision it read (`update`) or that the key must
//! not exist (`create`): KV revisions, not in-memory locks, fence concurrent
//! writers across tasks and replicas.
//!
//! The async-nats futures are boxed: they are large, and every saga,
//! payment and intake future that awaits a KV call would otherwise carry
//! their size for its whole life (thousands of orders wait on a slow
//! payment at once; the box lives only while the call is in flight).

use async_nats::jetstream::ErrorCode;
use async_nats::jetstream::kv::{self, CreateErrorKind, EntryErrorKind, PutErrorKind, UpdateErrorKind};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use super::{BridgeError, BridgeErrorKind};

/// The JetStream API error somewhere in `error`'s chain, if any.
fn api_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a async_nats::jetstream::Error> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(js) = e.downcast_ref::<async_nats::jetstream::Error>() {
            return Some(js);
        }
        next = e.source();
    }
    None
}

/// Whether a write failed because another write got there first. On a
/// clustered stream two racing writes at the same revision get error 10164
/// ("wrong last sequence", raced), which async-nats 0.51 reports as `Other`
/// rather than as a revision conflict; 10071 is the plain stale case.
fn lost_race(error: &(dyn std::error::Error + 'static)) -> bool {
    api_error(error).is_some_and(|js| {
        let code = js.error_code();
        code == ErrorCode::STREAM_WRONG_LAST_SEQUENCE || code == ErrorCode::STREAM_WRONG_LAST_SEQUENCE_CONSTANT
    })
}

/// JetStream API errors that mean this exact request can never succeed:
/// the message or its headers are over the stream's limit, the request is
/// malformed, or the stream is sealed. Everything else the server answers
/// with (10005 "no suitable peers", 10008 cluster unavailable, 10077 store
/// failed, storage exhausted, a leader election) passes, even though some
/// of it carries status 400, so it stays transient.
const PERMANENT_CODES: [ErrorCode; 5] = [
    ErrorCode::STREAM_MESSAGE_EXCEEDS_MAXIMUM,
    ErrorCode::STREAM_HEADER_EXCEEDS_MAXIMUM,
    ErrorCode::BAD_REQUEST,
    ErrorCode::INVALID_JSON,
    ErrorCode::STREAM_SEALED,
];

/// Whether the server refused the request for good: status 403
/// (forbidden) or one of [`PERMANENT_CODES`]. Check [`lost_race`] first.
fn refused(error: &(dyn std::error::Error + 'static)) -> bool {
    api_error(error).is_some_and(|js| is_permanent(js.code(), js.error_code()))
}

fn is_permanent(status: usize, code: ErrorCode) -> bool {
    status == 403 || PERMANENT_CODES.contains(&code)
}

/// A record with the KV revision it was read at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned<T> {
    pub value: T,
    pub revision: u64,
}

/// A KV bucket of JSON-encoded `T`.
pub struct JsonKv<T> {
    /// Shared: a `kv::Store` carries the bucket's stream info, so cloning it
    /// per message (as every actor message does) would deep-copy it.
    store: Arc<kv::Store>,
    bucket: &'static str,
    _marker: PhantomData<fn() -> T>,
}

impl<T> Clone for JsonKv<T> {
    fn clone(&self) -> Self {
        Self { store: self.store.clone(), bucket: self.bucket, _marker: PhantomData }
    }
}

impl<T> fmt::Debug for JsonKv<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonKv").field("bucket", &self.bucket).finish()
    }
}

impl<T: Serialize + DeserializeOwned> JsonKv<T> {
    pub(crate) fn new(store: kv::Store, bucket: &'static str) -> Self {
        Self { store: Arc::new(store), bucket, _marker: PhantomData }
    }

    /// Reads `key`; `None` when absent or deleted.
    pub async fn get(&self, key: &str) -> Result<Option<Versioned<T>>, BridgeError> {
        let entry = Box::pin(self.store.entry(key)).await.map_err(|e| match e.kind() {
            EntryErrorKind::InvalidKey => BridgeError::rejected(format!("invalid key {key}")),
            _ if refused(&e) => BridgeError::rejected(e),
            _ => BridgeError::unavailable(e),
        })?;
        let Some(entry) = entry.filter(|e| e.operation == kv::Operation::Put) else {
            return Ok(None);
        };
        let value = serde_json::from_slice(&entry.value).map_err(|e| BridgeError::corrupt(key, e))?;
        Ok(Some(Versioned { value, revision: entry.revision }))
    }

    /// Writes `value` only if `key` does not exist; returns the new revision.
    pub async fn create(&self, key: &str, value: &T) -> Result<u64, BridgeError> {
        let bytes = self.encode(key, value)?;
        Box::pin(self.store.create(key, bytes)).await.map_err(|e| match e.kind() {
            CreateErrorKind::AlreadyExists => BridgeError::with_source(BridgeErrorKind::AlreadyExists, key.to_string()),
            _ if lost_race(&e) => BridgeError::with_source(BridgeErrorKind::AlreadyExists, key.to_string()),
            CreateErrorKind::InvalidKey => BridgeError::rejected(format!("invalid key {key}")),
            _ if refused(&e) => BridgeError::rejected(e),
            _ => BridgeError::unavailable(e),
        })
    }

    /// Writes `value` only if `key` is still at `revision`.
    pub async fn update(&self, key: &str, value: &T, revision: u64) -> Result<u64, BridgeError> {
        let bytes = self.encode(key, value)?;
        Box::pin(self.store.update(key, bytes, revision)).await.map_err(|e| match e.kind() {
            UpdateErrorKind::WrongLastRevision => BridgeError::with_source(BridgeErrorKind::Conflict, key.to_string()),
            _ if lost_race(&e) => BridgeError::with_source(BridgeErrorKind::Conflict, key.to_string()),
            UpdateErrorKind::InvalidKey => BridgeError::rejected(format!("invalid key {key}")),
            _ if refused(&e) => BridgeError::rejected(e),
            _ => BridgeError::unavailable(e),
        })
    }

    /// Writes `value` unconditionally (only for records with one writer).
    pub async fn put(&self, key: &str, value: &T) -> Result<u64, BridgeError> {
        let bytes = self.encode(key, value)?;
        Box::pin(self.store.put(key, bytes)).await.map_err(|e| match e.kind() {
            PutErrorKind::InvalidKey => BridgeError::rejected(format!("invalid key {key}")),
            _ if refused(&e) => BridgeError::rejected(e),
            _ => BridgeError::unavailable(e),
        })
    }

    /// Deletes `key` only if it is still at `revision` (undoing our own
    /// write); a conflict means someone else wrote it since.
    pub async fn delete_at(&self, key: &str, revision: u64) -> Result<(), BridgeError> {
        Box::pin(self.store.delete_expect_revision(key, Some(revision))).await.map_err(|e| {
            if lost_race(&e) {
                BridgeError::with_source(BridgeErrorKind::Conflict, key.to_string())
            } else {
                BridgeError::unavailable(e)
            }
        })
    }

    fn encode(&self, key: &str, value: &T) -> Result<bytes::Bytes, BridgeError> {
        serde_json::to_vec(value).map(bytes::Bytes::from).map_err(|e| BridgeError::corrupt(key, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_error(status: u16, code: u64) -> async_nats::jetstream::Error {
        let json = format!(r#"{{"code":{status},"err_code":{code},"description":"test"}}"#);
        serde_json::from_str(&json).expect("a JetStream API error")
    }

    #[test]
    fn transient_400s_such_as_no_suitable_peers_are_not_refusals() {
        for code in [10005, 10008, 10077, 10047, 10023] {
            assert!(!refused(&api_error(400, code)), "{code} passes and must be retried");
        }
        assert!(!refused(&api_error(503, 10039)));
    }

    #[test]
    fn oversized_malformed_sealed_and_forbidden_requests_are_refusals() {
        for code in [10054, 10097, 10003, 10025, 10109] {
            assert!(refused(&api_error(400, code)), "{code} can never succeed");
        }
        assert!(refused(&api_error(403, 10000)));
    }
}
