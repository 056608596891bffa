//! JSON records in KV with compare-and-set, the way the service's
//! `bridge::JsonKv` does it (serde_json bytes, `create` / `update` at a
//! revision, `entry` for reads), plus stream publishes with the service's
//! headers (`Order-Id`, `Nats-Msg-Id = <order>:<event>`).

use async_nats::HeaderMap;
use async_nats::jetstream::kv::{self, CreateErrorKind, UpdateErrorKind};
use order_service::contracts::OrderEvent;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::setup::{Handles, subject};

/// Why a write did not happen.
#[derive(Debug)]
pub(crate) enum WriteError {
    /// Someone else wrote first (wrong revision / key exists).
    Conflict,
    Other(String),
}

impl From<WriteError> for String {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Conflict => "kv_conflict".into(),
            WriteError::Other(e) => format!("kv: {e}"),
        }
    }
}

fn encode<T: Serialize>(value: &T) -> Result<bytes::Bytes, WriteError> {
    serde_json::to_vec(value).map(Into::into).map_err(|e| WriteError::Other(e.to_string()))
}

/// `(value, revision)` of `key`, `None` when absent.
pub(crate) async fn get<T: DeserializeOwned>(store: &kv::Store, key: &str) -> Result<Option<(T, u64)>, String> {
    let entry = store.entry(key).await.map_err(|e| format!("kv get: {e}"))?;
    let Some(entry) = entry.filter(|e| e.operation == kv::Operation::Put) else { return Ok(None) };
    let value = serde_json::from_slice(&entry.value).map_err(|e| format!("kv decode: {e}"))?;
    Ok(Some((value, entry.revision)))
}

pub(crate) async fn create<T: Serialize>(store: &kv::Store, key: &str, value: &T) -> Result<u64, WriteError> {
    store.create(key, encode(value)?).await.map_err(|e| match e.kind() {
        CreateErrorKind::AlreadyExists => WriteError::Conflict,
        _ => WriteError::Other(e.to_string()),
    })
}

pub(crate) async fn update<T: Serialize>(
    store: &kv::Store,
    key: &str,
    value: &T,
    revision: u64,
) -> Result<u64, WriteError> {
    store.update(key, encode(value)?, revision).await.map_err(|e| match e.kind() {
        UpdateErrorKind::WrongLastRevision => WriteError::Conflict,
        _ => WriteError::Other(e.to_string()),
    })
}

/// Publishes `event` and waits for the stream's ack; returns its sequence.
pub(crate) async fn publish(handles: &Handles, event: &OrderEvent) -> Result<u64, String> {
    let name = event.kind.name();
    let mut headers = HeaderMap::new();
    headers.insert("Order-Id", event.order_id.as_str());
    headers.insert("Nats-Msg-Id", order_service::bridge::msg_id(&event.order_id, event.kind).as_str());
    let ack = handles
        .js
        .publish_with_headers(subject(name), headers, event.payload.clone().into())
        .await
        .map_err(|e| format!("publish: {e}"))?
        .await
        .map_err(|e| format!("publish ack: {e}"))?;
    Ok(ack.sequence)
}
