//! Connecting to NATS and making sure the stream, buckets and the durable
//! saga consumer exist with the settings the service relies on.
//!
//! Start-up fails with a clear error if NATS cannot be reached within the
//! connect timeout; after that, the client reconnects forever and the
//! readiness probe reports the connection state.

use async_nats::jetstream::{self, consumer, stream};
use async_nats::{ConnectOptions, Event};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::buckets::ensure_bucket;
use super::{BridgeError, JsonKv, subjects};
use crate::config::{NatsAuth, Settings};
use crate::domain::{Order, StockRecord};
use crate::error::Context;

/// How long stream messages with `Nats-Msg-Id` are remembered for dedupe.
pub(crate) const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
/// How long events stay in the stream (history for operators and replays).
const EVENT_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long dead letters are kept for inspection and replay.
const DEAD_LETTER_RETENTION: Duration = Duration::from_secs(crate::config::DEAD_LETTER_RETENTION_DAYS * 24 * 3600);
const TOPOLOGY_CHECK: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// The client pings the server after this much silence and declares the
/// link dead after three unanswered intervals (async-nats allows two
/// pending pings): a black-holed link is noticed in about 4.5 s, so
/// `/ready` and intake turn to 503 instead of waiting on timeouts. With
/// traffic flowing no ping is sent (any server message resets the timer).
const PING_INTERVAL: Duration = Duration::from_millis(1500);

/// Handles to everything the service uses in NATS. Cheap to clone (one
/// `Arc`): the handles inside carry stream and consumer info.
#[derive(Debug, Clone)]
pub struct Nats {
    inner: Arc<NatsHandles>,
}

impl std::ops::Deref for Nats {
    type Target = NatsHandles;

    fn deref(&self) -> &NatsHandles {
        &self.inner
    }
}

/// What a [`Nats`] shares.
#[derive(Debug)]
pub struct NatsHandles {
    pub(crate) client: async_nats::Client,
    pub(crate) js: jetstream::Context,
    pub(crate) saga_consumer: consumer::PullConsumer,
    pub orders: JsonKv<Order>,
    pub inventory: JsonKv<StockRecord>,
}

impl Nats {
    /// Whether the client is connected right now.
    pub fn is_connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// A cheap cloneable probe for the readiness check.
    pub fn connection_probe(&self) -> impl Fn() -> bool + Send + Sync + 'static {
        let client = self.client.clone();
        move || client.connection_state() == async_nats::connection::State::Connected
    }

    /// Subject and time of the `ORDERS` message at `sequence`.
    pub async fn event_at(&self, sequence: u64) -> Result<Option<StoredEvent>, BridgeError> {
        let stream = self.js.get_stream(subjects::STREAM).await.map_err(BridgeError::unavailable)?;
        let Ok(message) = stream.get_raw_message(sequence).await else {
            return Ok(None);
        };
        let at = time::OffsetDateTime::from_unix_timestamp_nanos(message.time.unix_timestamp_nanos()).ok();
        let published_at = at.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok());
        Ok(Some(StoredEvent { subject: message.subject.to_string(), published_at: published_at.unwrap_or_default() }))
    }

    /// Checks every few seconds that the stream and buckets still exist;
    /// the returned flag feeds the readiness probe.
    pub fn watch_topology(&self) -> std::sync::Arc<std::sync::atomic::AtomicBool> {
        use std::sync::atomic::{AtomicBool, Ordering};
        let flag = std::sync::Arc::new(AtomicBool::new(true));
        let (js, out) = (self.js.clone(), flag.clone());
        actix::spawn(async move {
            loop {
                tokio::time::sleep(TOPOLOGY_CHECK).await;
                let ok = topology_present(&js).await;
                if out.swap(ok, Ordering::SeqCst) != ok {
                    match ok {
                        true => tracing::info!("stream and buckets present again"),
                        false => tracing::error!("stream ORDERS or a KV bucket is missing or unreachable"),
                    }
                }
            }
        });
        flag
    }

    /// Flushes pending publishes to the server (used at shutdown).
    pub async fn flush(&self) -> Result<(), BridgeError> {
        self.client.flush().await.map_err(BridgeError::unavailable)
    }
}

/// Where and when an event was stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoredEvent {
    pub subject: String,
    pub published_at: String,
}

async fn topology_present(js: &jetstream::Context) -> bool {
    if js.get_stream(subjects::STREAM).await.is_err() {
        return false;
    }
    for bucket in [subjects::ORDERS_BUCKET, subjects::INVENTORY_BUCKET] {
        if js.get_key_value(bucket).await.is_err() {
            return false;
        }
    }
    true
}

/// Connects and ensures the stream, buckets and saga consumer exist.
pub async fn connect(settings: &Settings) -> Result<Nats, BridgeError> {
    let urls = settings.nats.urls();
    let shown = urls.join(",");
    let last_error = Arc::new(Mutex::new(None));
    let options = with_auth(connect_options(last_error.clone()), &settings.nats.auth).await?;
    // retry_on_initial_connect: `connect` returns at once and the client
    // keeps trying in the background, so wait for the state ourselves.
    let client = options
        .connect(urls)
        .await
        .map_err(|e| BridgeError::unavailable(Context::new(format!("cannot connect to NATS at {shown}"), e)))?;
    if !connected_within(&client, settings.nats.connect_timeout).await {
        let why = last_error.lock().unwrap_or_else(|p| p.into_inner()).take();
        let why = why.unwrap_or_else(|| "no server answered".into());
        let timeout = settings.nats.connect_timeout;
        return Err(BridgeError::unavailable(format!("cannot connect to NATS at {shown} within {timeout:?}: {why}")));
    }
    let mut js = jetstream::new(client.clone());
    js.set_timeout(REQUEST_TIMEOUT);
    // A cluster still electing or with a peer offline refuses stream
    // creation for a while ("no suitable peers"): keep trying until the
    // connect timeout instead of exiting.
    let deadline = std::time::Instant::now() + settings.nats.connect_timeout;
    loop {
        match ensure_topology(&client, &js, settings).await {
            Ok(handles) => return Ok(Nats { inner: Arc::new(handles) }),
            Err(e) if e.is_transient() && std::time::Instant::now() < deadline => {
                tracing::warn!(error = %e, "JetStream set-up failed; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Ensures the streams, the saga consumer and the buckets exist.
async fn ensure_topology(
    client: &async_nats::Client,
    js: &jetstream::Context,
    settings: &Settings,
) -> Result<NatsHandles, BridgeError> {
    let replicas = settings.nats.replicas;
    let stream = ensure_stream(js, replicas).await?;
    warn_on_weak_durability(&stream, settings);
    let saga_consumer = ensure_saga_consumer(&stream, settings).await?;
    ensure_dead_letter_stream(js, replicas).await?;
    let retention = settings.retention.orders_max_age();
    Ok(NatsHandles {
        orders: JsonKv::new(
            ensure_bucket(js, subjects::ORDERS_BUCKET, replicas, retention).await?,
            subjects::ORDERS_BUCKET,
        ),
        inventory: JsonKv::new(
            ensure_bucket(js, subjects::INVENTORY_BUCKET, replicas, Duration::ZERO).await?,
            subjects::INVENTORY_BUCKET,
        ),
        client: client.clone(),
        js: js.clone(),
        saga_consumer,
    })
}

/// Applies credentials and TLS settings (secrets are never logged).
async fn with_auth(mut options: ConnectOptions, auth: &NatsAuth) -> Result<ConnectOptions, BridgeError> {
    if let (Some(user), Some(password)) = (&auth.user, &auth.password) {
        options = options.user_and_password(user.clone(), password.0.clone());
    }
    if let Some(token) = &auth.token {
        options = options.token(token.0.clone());
    }
    if let Some(seed) = &auth.nkey_seed {
        options = options.nkey(seed.0.clone());
    }
    if let Some(path) = &auth.creds_file {
        options = options
            .credentials_file(path)
            .await
            .map_err(|e| BridgeError::rejected(format!("NATS_CREDS_FILE {}: {e}", path.display())))?;
    }
    if let Some(ca) = &auth.tls_ca {
        options = options.add_root_certificates(ca.clone());
    }
    if let (Some(cert), Some(key)) = (&auth.tls_cert, &auth.tls_key) {
        options = options.add_client_certificate(cert.clone(), key.clone());
    }
    Ok(options.require_tls(auth.tls_required || auth.tls_ca.is_some()))
}

/// Polls the client's state until it is connected or `timeout` passes.
async fn connected_within(client: &async_nats::Client, timeout: Duration) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    while client.connection_state() != async_nats::connection::State::Connected {
        if std::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    true
}

fn connect_options(last_error: Arc<Mutex<Option<String>>>) -> ConnectOptions {
    ConnectOptions::new()
        .name("order-service")
        .retry_on_initial_connect()
        .max_reconnects(None)
        .connection_timeout(Duration::from_secs(3))
        .ping_interval(PING_INTERVAL)
        .request_timeout(Some(REQUEST_TIMEOUT))
        .reconnect_delay_callback(|attempts| {
            let millis = 100u64.saturating_mul(1 << attempts.min(6));
            Duration::from_millis(millis.min(5_000))
        })
        .event_callback(move |event| {
            // Remembered for the start-up error (e.g. "authorization violation").
            if let Event::ClientError(e) = &event {
                *last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
            }
            if let Event::ServerError(e) = &event {
                *last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
            }
            async move {
                match event {
                    Event::Connected => tracing::info!("nats connected"),
                    Event::Disconnected => tracing::warn!("nats disconnected; reconnecting"),
                    other => tracing::warn!(event = %other, "nats event"),
                }
            }
        })
}

async fn ensure_stream(js: &jetstream::Context, replicas: usize) -> Result<stream::Stream, BridgeError> {
    let config = stream::Config {
        name: subjects::STREAM.into(),
        subjects: vec![subjects::STREAM_SUBJECTS.into()],
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        num_replicas: replicas,
        duplicate_window: DUPLICATE_WINDOW,
        max_age: EVENT_RETENTION,
        ..Default::default()
    };
    let stream = js.get_or_create_stream(config).await.map_err(|e| setup_error("stream ORDERS", e))?;
    Ok(stream)
}

/// The longest time between two publishes of the same event that only the
/// stream's duplicate window can deduplicate: a redelivery after ack_wait
/// plus the publisher's own retries. (Re-publishes across longer pauses are
/// skipped because published events are recorded on the order.)
fn retry_horizon(settings: &Settings) -> Duration {
    settings.saga.ack_wait * 2 + Duration::from_secs(15)
}

/// Logs a clear warning when the stream (maybe created by an operator)
/// cannot deliver the guarantees the README states.
fn warn_on_weak_durability(stream: &stream::Stream, settings: &Settings) {
    let config = &stream.cached_info().config;
    if config.num_replicas < 2 {
        tracing::warn!(
            stream = subjects::STREAM,
            replicas = config.num_replicas,
            "stream has 1 replica: losing this server's disk loses accepted orders; use NATS_REPLICAS=3 on a cluster"
        );
    }
    let horizon = retry_horizon(settings);
    if config.duplicate_window < horizon {
        tracing::warn!(
            stream = subjects::STREAM,
            duplicate_window = ?config.duplicate_window,
            retry_horizon = ?horizon,
            "duplicate window is shorter than the retry horizon: a late retried publish may duplicate an event"
        );
    }
}

async fn ensure_dead_letter_stream(js: &jetstream::Context, replicas: usize) -> Result<(), BridgeError> {
    let config = stream::Config {
        name: subjects::DLQ_STREAM.into(),
        subjects: vec![subjects::DLQ_SUBJECTS.into()],
        storage: stream::StorageType::File,
        num_replicas: replicas,
        duplicate_window: DUPLICATE_WINDOW,
        max_age: DEAD_LETTER_RETENTION,
        ..Default::default()
    };
    js.get_or_create_stream(config).await.map_err(|e| setup_error("stream DEAD_LETTERS", e))?;
    Ok(())
}

async fn ensure_saga_consumer(
    stream: &stream::Stream,
    settings: &Settings,
) -> Result<consumer::PullConsumer, BridgeError> {
    let config = consumer::pull::Config {
        durable_name: Some(subjects::SAGA_CONSUMER.into()),
        description: Some("drives one saga per ORDER.created".into()),
        filter_subjects: vec![subjects::event(crate::contracts::EventKind::Created), subjects::REPLAY.into()],
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: settings.saga.ack_wait,
        // Transient failures are nak'd with growing delays (1 s … 60 s);
        // after max_deliver deliveries the worker dead-letters the message.
        max_deliver: settings.saga.max_deliver,
        // High enough for 50,000 orders in flight across replicas; each
        // instance bounds its own share with its pool permits.
        max_ack_pending: 100_000,
        ..Default::default()
    };
    stream.create_consumer(config).await.map_err(|e| setup_error("consumer order-saga", e))
}

pub(super) fn setup_error(what: &str, e: impl std::error::Error + Send + Sync + 'static) -> BridgeError {
    BridgeError::unavailable(Context::new(format!("cannot set up {what}"), e))
}
