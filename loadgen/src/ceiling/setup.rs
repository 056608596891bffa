//! The ceiling's own stream, buckets and durable consumer: configured
//! exactly like the service's (`src/bridge/setup.rs`: file storage, limits
//! retention, 2-minute duplicate window, history 1, explicit ack) but under
//! other names, so a running service never consumes ceiling traffic and
//! the ceiling never pollutes `ORDERS`. Recreated empty on every run.

use anyhow::Context as _;
use async_nats::jetstream::{self, consumer, kv, stream};
use order_service::domain::StockRecord;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(crate) const STREAM: &str = "CEILING_ORDERS";
const SUBJECTS: &str = "CEILING.*";
const CONSUMER: &str = "ceiling-saga";
const BUCKETS: [&str; 2] = ["ceiling_orders", "ceiling_inventory"];
/// The service's values (src/bridge/setup.rs and config defaults).
const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
const RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
const ACK_WAIT: Duration = Duration::from_secs(30);
const MAX_DELIVER: i64 = 20;
const MAX_ACK_PENDING: i64 = 100_000;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// `CEILING.<event>`, the ceiling's `ORDER.<event>`.
pub(crate) fn subject(event: &str) -> String {
    format!("CEILING.{event}")
}

/// Handles to everything the ceiling uses in NATS.
#[derive(Debug, Clone)]
pub(crate) struct Handles {
    pub(crate) js: jetstream::Context,
    pub(crate) orders: kv::Store,
    pub(crate) inventory: kv::Store,
    pub(crate) consumer: consumer::PullConsumer,
    /// Last known record and revision per SKU, per connection (the
    /// service's `InventoryActor` keeps one per process).
    pub(crate) stock_cache: StockCache,
    /// Group-commit lanes per SKU (shared by every task on this connection).
    pub(crate) lanes: super::stock::Lanes,
}

/// The ceiling's copy of `StockStore`'s revision cache.
#[derive(Debug, Clone, Default)]
pub(crate) struct StockCache(Arc<Mutex<HashMap<String, (StockRecord, u64)>>>);

impl StockCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (StockRecord, u64)>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn get(&self, sku: &str) -> Option<(StockRecord, u64)> {
        self.lock().get(sku).cloned()
    }

    pub(crate) fn put(&self, sku: &str, record: &StockRecord, revision: u64) {
        self.lock().insert(sku.to_string(), (record.clone(), revision));
    }
}

async fn connect(nats_url: &str, name: &str) -> anyhow::Result<jetstream::Context> {
    let client = async_nats::ConnectOptions::new()
        .name(name)
        .request_timeout(Some(REQUEST_TIMEOUT))
        .connect(nats_url)
        .await
        .with_context(|| format!("connect to NATS at {nats_url}"))?;
    let mut js = jetstream::new(client);
    js.set_timeout(REQUEST_TIMEOUT);
    Ok(js)
}

/// (Re)creates the stream, buckets and consumer, empty.
pub(crate) async fn prepare(nats_url: &str) -> anyhow::Result<()> {
    let js = connect(nats_url, "loadgen-ceiling-setup").await?;
    let _ = js.delete_stream(STREAM).await;
    for bucket in BUCKETS {
        let _ = js.delete_key_value(bucket).await;
    }
    let stream = js
        .create_stream(stream::Config {
            name: STREAM.into(),
            subjects: vec![SUBJECTS.into()],
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::Limits,
            duplicate_window: DUPLICATE_WINDOW,
            max_age: RETENTION,
            ..Default::default()
        })
        .await
        .context("create stream CEILING_ORDERS")?;
    stream
        .create_consumer(consumer::pull::Config {
            durable_name: Some(CONSUMER.into()),
            filter_subjects: vec![subject("created"), subject("replayed")],
            ack_policy: consumer::AckPolicy::Explicit,
            ack_wait: ACK_WAIT,
            max_deliver: MAX_DELIVER,
            max_ack_pending: MAX_ACK_PENDING,
            ..Default::default()
        })
        .await
        .context("create consumer ceiling-saga")?;
    let [orders, inventory] = BUCKETS;
    bucket(&js, orders, Duration::ZERO).await?;
    bucket(&js, inventory, Duration::ZERO).await?;
    Ok(())
}

/// Handles on a connection of their own (named `name`).
pub(crate) async fn attach(nats_url: &str, name: &str) -> anyhow::Result<Handles> {
    let js = connect(nats_url, name).await?;
    let store = |bucket: &'static str| {
        let js = js.clone();
        async move { js.get_key_value(bucket).await.with_context(|| format!("bucket {bucket}")) }
    };
    let [orders, inventory] = BUCKETS;
    let consumer = js.get_consumer_from_stream(CONSUMER, STREAM).await.context("consumer ceiling-saga")?;
    Ok(Handles {
        orders: store(orders).await?,
        inventory: store(inventory).await?,
        consumer,
        js,
        stock_cache: StockCache::default(),
        lanes: super::stock::Lanes::default(),
    })
}

async fn bucket(js: &jetstream::Context, name: &str, max_age: Duration) -> anyhow::Result<kv::Store> {
    let config = kv::Config {
        bucket: name.into(),
        history: 1,
        storage: stream::StorageType::File,
        max_age,
        ..Default::default()
    };
    js.create_key_value(config).await.with_context(|| format!("create bucket {name}"))
}

/// Removes the ceiling's stream and buckets (best effort).
pub(crate) async fn remove(handles: &Handles) {
    let _ = handles.js.delete_stream(STREAM).await;
    for bucket in BUCKETS {
        let _ = handles.js.delete_key_value(bucket).await;
    }
}
