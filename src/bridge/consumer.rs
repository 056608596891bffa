//! `JetStreamConsumer`: pulls `ORDER.created` from the durable `order-saga`
//! consumer and hands each message to a worker.
//!
//! Backpressure: it pulls only as many messages as there are free pool
//! permits (pool size × mailbox capacity), so a burst waits in JetStream,
//! not in memory, and at most `MAX_FETCH_BATCH` per pull: async-nats ends a
//! pull 5 s after its expiry and drops whatever of it was received but not
//! yet read, so a large batch read by a busy thread would lose part of
//! itself to redelivery 30 s (`ack_wait`) later. Fetch errors (e.g. NATS
//! down) are logged and retried after a fixed 500 ms pause (so a recovered
//! broker is used again at once, and a down one is not spun on); the
//! consumer never stops on its own.

use actix::{Actor, ActorFutureExt, AsyncContext, Context, Handler, Recipient, ResponseActFuture, WrapFuture};
use async_nats::jetstream::consumer::PullConsumer;
use futures::StreamExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;

use super::{Delivery, HandleDelivery};

const FETCH_EXPIRES: Duration = Duration::from_secs(1);
/// Messages per pull at most (see the module docs). 256 is read within a
/// couple of scheduler turns and still amortises the pull request.
const MAX_FETCH_BATCH: usize = 256;
const ERROR_BACKOFF: Duration = Duration::from_millis(500);
const PAUSE_POLL: Duration = Duration::from_millis(250);

/// Stop pulling new messages (graceful drain); in-flight ones still settle.
#[derive(Debug, actix::Message)]
#[rtype(result = "()")]
pub struct StopPulling;

#[derive(Debug, actix::Message)]
#[rtype(result = "()")]
struct Pull;

/// Read the durable consumer's state from the server.
#[derive(Debug, actix::Message)]
#[rtype(result = "Result<ConsumerHealth, super::BridgeError>")]
pub struct GetConsumerHealth;

/// The saga consumer as the server sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ConsumerHealth {
    pub name: String,
    /// Messages not yet delivered.
    pub pending: u64,
    /// Delivered, not yet acknowledged.
    pub ack_pending: usize,
    /// Delivered more than once and not yet acknowledged.
    pub redelivered: usize,
    /// Pull requests waiting at the server.
    pub waiting: usize,
    pub paused: bool,
}

/// Pulls saga work for the pool.
pub struct JetStreamConsumer {
    consumer: Arc<PullConsumer>,
    /// Deliveries are acked on this connection.
    nats: super::Nats,
    workers: Vec<Recipient<HandleDelivery>>,
    permits: Arc<Semaphore>,
    next_worker: usize,
    stopping: Arc<AtomicBool>,
    paused: Arc<dyn Fn() -> bool + Send + Sync>,
    stats: Option<Arc<crate::ops::PoolStats>>,
}

impl std::fmt::Debug for JetStreamConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JetStreamConsumer").field("workers", &self.workers.len()).finish()
    }
}

impl JetStreamConsumer {
    /// `capacity` bounds the deliveries held by the pool at once.
    pub fn new(nats: &super::Nats, workers: Vec<Recipient<HandleDelivery>>, capacity: usize) -> Self {
        Self {
            consumer: Arc::new(nats.saga_consumer.clone()),
            nats: nats.clone(),
            workers,
            permits: Arc::new(Semaphore::new(capacity)),
            next_worker: 0,
            stopping: Arc::new(AtomicBool::new(false)),
            paused: Arc::new(|| false),
            stats: None,
        }
    }

    /// Counts dispatched messages per worker (mailbox depth).
    pub fn with_stats(mut self, stats: Arc<crate::ops::PoolStats>) -> Self {
        self.stats = Some(stats);
        self
    }

    /// While `paused()` is true nothing is pulled (escalated supervisor:
    /// better to leave work in JetStream than burn its redeliveries).
    pub fn with_pause(mut self, paused: impl Fn() -> bool + Send + Sync + 'static) -> Self {
        self.paused = Arc::new(paused);
        self
    }

    /// Deliveries currently held by the pool.
    pub fn in_flight_probe(&self, capacity: usize) -> impl Fn() -> usize + Send + Sync + 'static {
        let permits = self.permits.clone();
        move || capacity.saturating_sub(permits.available_permits())
    }

    fn dispatch(&mut self, delivery: Delivery) {
        let mut msg = HandleDelivery { delivery };
        for _ in 0..self.workers.len() {
            let index = self.next_worker % self.workers.len();
            self.next_worker = self.next_worker.wrapping_add(1);
            match self.workers[index].try_send(msg) {
                Ok(()) => return self.enqueued(index),
                Err(actix::prelude::SendError::Full(back)) | Err(actix::prelude::SendError::Closed(back)) => msg = back,
            }
        }
        // Every mailbox is full: queue past the bound on one worker rather
        // than drop the message (the permit still bounds the total).
        let index = self.next_worker % self.workers.len();
        self.workers[index].do_send(msg);
        self.enqueued(index);
    }

    fn enqueued(&self, index: usize) {
        if let Some(stats) = &self.stats {
            stats.enqueued(index);
        }
    }
}

impl Actor for JetStreamConsumer {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.notify(Pull);
    }
}

impl Handler<StopPulling> for JetStreamConsumer {
    type Result = ();

    fn handle(&mut self, _msg: StopPulling, _ctx: &mut Context<Self>) {
        self.stopping.store(true, Ordering::SeqCst);
        tracing::info!("saga consumer stopped pulling");
    }
}

impl Handler<GetConsumerHealth> for JetStreamConsumer {
    type Result = actix::ResponseFuture<Result<ConsumerHealth, super::BridgeError>>;

    fn handle(&mut self, _msg: GetConsumerHealth, _ctx: &mut Context<Self>) -> Self::Result {
        let mut consumer = (*self.consumer).clone();
        let paused = (self.paused)() || self.stopping.load(Ordering::SeqCst);
        Box::pin(async move {
            let info = consumer.info().await.map_err(super::BridgeError::unavailable)?;
            Ok(ConsumerHealth {
                name: info.name.clone(),
                pending: info.num_pending,
                ack_pending: info.num_ack_pending,
                redelivered: info.num_redelivered,
                waiting: info.num_waiting,
                paused,
            })
        })
    }
}

impl Handler<Pull> for JetStreamConsumer {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, _msg: Pull, _ctx: &mut Context<Self>) -> Self::Result {
        let (consumer, nats) = (self.consumer.clone(), self.nats.clone());
        let permits = self.permits.clone();
        let stopping = self.stopping.clone();
        let paused = self.paused.clone();
        let fetch = async move {
            if paused() {
                tokio::time::sleep(PAUSE_POLL).await;
                return Vec::new();
            }
            fetch_batch(consumer, nats, permits, stopping).await
        };
        Box::pin(fetch.into_actor(self).map(|deliveries, act, ctx| {
            for delivery in deliveries {
                act.dispatch(delivery);
            }
            if !act.stopping.load(Ordering::SeqCst) {
                ctx.notify(Pull);
            }
        }))
    }
}

async fn fetch_batch(
    consumer: Arc<PullConsumer>,
    nats: super::Nats,
    permits: Arc<Semaphore>,
    stopping: Arc<AtomicBool>,
) -> Vec<Delivery> {
    // Wait for room in the pool before asking JetStream for anything.
    let Ok(first) = permits.clone().acquire_owned().await else {
        return Vec::new();
    };
    if stopping.load(Ordering::SeqCst) {
        return Vec::new();
    }
    let room = (1 + permits.available_permits()).min(MAX_FETCH_BATCH);
    let mut batch = match consumer.fetch().max_messages(room).expires(FETCH_EXPIRES).messages().await {
        Ok(batch) => batch,
        Err(e) => {
            tracing::warn!(error = %e, "fetch from order-saga failed; retrying");
            tokio::time::sleep(ERROR_BACKOFF).await;
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    let mut first = Some(first);
    while let Some(item) = batch.next().await {
        match item {
            Ok(message) => {
                let permit = match first.take() {
                    Some(p) => p,
                    None => match permits.clone().try_acquire_owned() {
                        Ok(p) => p,
                        // Cannot happen (we asked for `room`), but never drop:
                        // without a permit we wait for one.
                        Err(_) => match permits.clone().acquire_owned().await {
                            Ok(p) => p,
                            Err(_) => break,
                        },
                    },
                };
                out.push(Delivery::new(message, nats.clone(), permit));
            }
            Err(e) => {
                tracing::warn!(error = %e, "pull batch error");
                // e.g. no consumer leader during an election: do not spin.
                if out.is_empty() {
                    tokio::time::sleep(ERROR_BACKOFF).await;
                }
                break;
            }
        }
    }
    out
}
