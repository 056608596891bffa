//! KV buckets: created if missing (file storage, history 1, the replicas
//! and retention the service asks for), and an existing bucket's retention
//! (`max_age`) brought to the configured value at start-up.
//!
//! A bucket that can be neither found nor created fails start-up with
//! [`BridgeErrorKind::Unavailable`]. A retention update the server refuses
//! (an account without `$JS.API.STREAM.UPDATE.KV_<bucket>`) is only
//! logged: the bucket keeps working with its old retention.

use async_nats::jetstream::{self, kv, stream};
use std::time::Duration;

use super::BridgeError;
use super::setup::setup_error;

/// The bucket, created with `max_age` (zero = forever) if it is missing.
/// An existing bucket keeps its records but gets this `max_age` (see
/// [`align_retention`]).
pub(super) async fn ensure_bucket(
    js: &jetstream::Context,
    bucket: &str,
    replicas: usize,
    max_age: Duration,
) -> Result<kv::Store, BridgeError> {
    if let Ok(store) = js.get_key_value(bucket).await {
        align_retention(js, bucket, max_age).await;
        return Ok(store);
    }
    let config = kv::Config {
        bucket: bucket.into(),
        history: 1,
        storage: stream::StorageType::File,
        num_replicas: replicas,
        max_age,
        ..Default::default()
    };
    match js.create_key_value(config).await {
        Ok(store) => Ok(store),
        // Another replica may have created it between our get and create.
        Err(_) => js.get_key_value(bucket).await.map_err(|e| setup_error(bucket, e)),
    }
}

/// Sets an existing bucket's `max_age` to the configured retention, so a
/// changed `ORDER_RETENTION_DAYS` applies from the next start (every
/// replica must use the same value). A refused update (the account may not
/// update streams) is logged and the old retention stays: the service runs.
async fn align_retention(js: &jetstream::Context, bucket: &str, max_age: Duration) {
    let name = format!("KV_{bucket}");
    let mut config = match js.get_stream(&name).await {
        Ok(stream) => stream.cached_info().config.clone(),
        Err(e) => {
            tracing::warn!(bucket, error = %e, "bucket retention not checked");
            return;
        }
    };
    if config.max_age == max_age {
        return;
    }
    let old = config.max_age;
    config.max_age = max_age;
    match js.update_stream(config).await {
        Ok(_) => tracing::info!(bucket, from = ?old, to = ?max_age, "bucket retention changed (zero = forever)"),
        Err(e) => tracing::warn!(bucket, current = ?old, wanted = ?max_age, error = %e, "bucket retention not changed"),
    }
}
