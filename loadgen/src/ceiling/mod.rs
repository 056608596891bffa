//! The raw ceiling: a minimal async-nats program doing the same JetStream
//! work per order as the service — the intake's KV writes and
//! `ORDER.created` publish (`intake`), a durable pull consumer fetching as
//! many messages as it has room for, 256 at most (like `JetStreamConsumer`), the saga's
//! KV reads/CAS writes and event publishes (`saga`) and the ack — with the
//! service's record and event types, so payloads have the same sizes, but
//! no HTTP and no actors. Its throughput is what the broker allows on this
//! machine; the service's share of it is the cost of the architecture.
//!
//! It runs on its own stream and buckets (`setup`), recreated per run and
//! removed afterwards, and is driven by the same closed loop as the service.

mod intake;
mod saga;
mod setup;
mod stock;
mod store;

use anyhow::Context as _;
use async_nats::jetstream::{AckKind, Message};
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use order_service::contracts::order_from_created;
use order_service::domain::{FailureReason, Order, StockRecord};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::cli::Args;
use crate::load::Placer;
use crate::mix::{Mix, Planned};
use crate::report::RunFigures;
use crate::scenario::{self, Load, Watched};
use crate::tally::{self, Outcome, SharedTally};
use setup::Handles;

const FETCH_EXPIRES: Duration = Duration::from_secs(1);
const ERROR_BACKOFF: Duration = Duration::from_millis(500);
const NAK_DELAY: Duration = Duration::from_secs(1);
/// As the service's consumer (`bridge::consumer`).
const MAX_FETCH_BATCH: usize = 256;

struct CeilingPlacer {
    handles: Handles,
    tally: SharedTally,
}

impl Placer for CeilingPlacer {
    fn place<'a>(&'a self, order: &'a Planned) -> BoxFuture<'a, Result<(), String>> {
        intake::place(&self.handles, &self.tally, order).boxed()
    }
}

/// One closed-loop run of the ceiling against the NATS server at `nats_url`.
pub(crate) async fn run(args: &Args, nats_url: &str, mix: Arc<Mix>, watched: Watched) -> anyhow::Result<RunFigures> {
    setup::prepare(nats_url).await?;
    // Intake and sagas on separate connections (a real deployment could split
    // them too); the service uses one.
    let handles = setup::attach(nats_url, "loadgen-ceiling-intake").await?;
    let saga_handles = setup::attach(nats_url, "loadgen-ceiling-saga").await?;
    for (sku, available) in mix.stock_levels() {
        let record = StockRecord { available, ..StockRecord::default() };
        store::create(&handles.inventory, &sku, &record)
            .await
            .map_err(String::from)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("stock {sku} in the ceiling's inventory"))?;
    }
    let tally = tally::shared();
    let errors = Arc::new(ErrorSink::default());
    let latency = Duration::from_millis(args.payment_latency_ms);
    let consumer = tokio::spawn(consume(saga_handles, tally.clone(), errors.clone(), args.pool_capacity(), latency));
    let placer = Arc::new(CeilingPlacer { handles: handles.clone(), tally: tally.clone() });
    let mut figures = scenario::drive(args, mix, placer, tally, Load::Closed, watched).await;
    consumer.abort();
    setup::remove(&handles).await;
    let [failed, retried] = errors.take();
    for (kind, n) in failed {
        *figures.errors.entry(kind).or_insert(0) += n;
    }
    figures.retried = retried;
    Ok(figures)
}

/// Problems by kind (the message up to the first ':' or " on <key>").
#[derive(Debug, Default)]
struct ErrorSink {
    /// Failures loadgen must report.
    errors: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
    /// Saga attempts that failed transiently and were nak'd for redelivery
    /// (the service retries these internally too, invisibly to loadgen).
    retried: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
}

fn kind_of(message: &str) -> String {
    let head = message.split(':').next().unwrap_or(message);
    let head = head.split(" on ").next().unwrap_or(head);
    format!("ceiling_{}", head.trim().replace(' ', "_"))
}

fn bump(map: &std::sync::Mutex<std::collections::BTreeMap<String, u64>>, message: &str) {
    *map.lock().unwrap_or_else(|p| p.into_inner()).entry(kind_of(message)).or_insert(0) += 1;
}

impl ErrorSink {
    fn add(&self, error: &str) {
        bump(&self.errors, error);
    }

    fn retry(&self, error: &str) {
        bump(&self.retried, error);
    }

    fn take(&self) -> [std::collections::BTreeMap<String, u64>; 2] {
        let take = |m: &std::sync::Mutex<_>| std::mem::take(&mut *m.lock().unwrap_or_else(|p| p.into_inner()));
        [take(&self.errors), take(&self.retried)]
    }
}

/// Pulls as many messages as there are free permits, one saga task each.
async fn consume(h: Handles, tally: SharedTally, errors: Arc<ErrorSink>, capacity: usize, latency: Duration) {
    let permits = Arc::new(Semaphore::new(capacity.max(1)));
    loop {
        let Ok(first) = permits.clone().acquire_owned().await else { return };
        let room = (1 + permits.available_permits()).min(MAX_FETCH_BATCH);
        let mut batch = match h.consumer.fetch().max_messages(room).expires(FETCH_EXPIRES).messages().await {
            Ok(batch) => batch,
            Err(e) => {
                errors.add(&format!("fetch: {e}"));
                tokio::time::sleep(ERROR_BACKOFF).await;
                continue;
            }
        };
        let mut first = Some(first);
        while let Some(item) = batch.next().await {
            let Ok(message) = item else { break };
            let permit = match first.take() {
                Some(permit) => permit,
                None => match permits.clone().acquire_owned().await {
                    Ok(permit) => permit,
                    Err(_) => return,
                },
            };
            tokio::spawn(settle(h.clone(), tally.clone(), errors.clone(), message, permit, latency));
        }
    }
}

async fn settle(
    h: Handles,
    tally: SharedTally,
    errors: Arc<ErrorSink>,
    message: Message,
    _permit: OwnedSemaphorePermit,
    latency: Duration,
) {
    let order = match order_from_created(&message.payload) {
        Ok(order) => order,
        Err(e) => {
            errors.add(&format!("poison: {e}"));
            let _ = message.ack_with(AckKind::Term).await;
            return;
        }
    };
    let id = order.order_id.to_string();
    match saga::run(&h, order, latency).await {
        Ok(done) => {
            tally::lock(&tally).terminal(&id, tally::now_ns(), outcome(&done));
            let _ = message.ack_with(AckKind::Ack).await;
        }
        Err(e) => {
            errors.retry(&e);
            let _ = message.ack_with(AckKind::Nak(Some(NAK_DELAY))).await;
        }
    }
}

fn outcome(order: &Order) -> Outcome {
    match order.failure_reason.map(FailureReason::as_str) {
        None => Outcome::Completed,
        Some("OUT_OF_STOCK") => Outcome::OutOfStock,
        Some("PAYMENT_DECLINED") => Outcome::PaymentDeclined,
        Some(_) => Outcome::OtherFailure,
    }
}
