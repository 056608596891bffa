//! One sampler for every dashboard stream: the per-second snapshot is
//! built once and shared through a `tokio::sync::watch` channel that each
//! `/api/stream` client reads, so N clients cost what one does. The number
//! of clients is capped; a client holds a [`ClientSlot`] until its stream
//! is dropped. While nobody watches, the sampler builds nothing.

use bytes::Bytes;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::watch;

/// One snapshot per period.
const PERIOD: Duration = Duration::from_secs(1);

/// The latest snapshot frame and the clients reading it.
#[derive(Debug)]
pub struct SnapshotHub {
    latest: watch::Sender<Bytes>,
    clients: Arc<AtomicUsize>,
    max_clients: usize,
    sampler_started: AtomicBool,
    built: AtomicU64,
}

/// One admitted client; dropping it frees the place.
#[derive(Debug)]
pub struct ClientSlot(Arc<AtomicUsize>);

impl Drop for ClientSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl SnapshotHub {
    pub fn new(max_clients: usize) -> Self {
        let (latest, _) = watch::channel(Bytes::new());
        let sampler_started = AtomicBool::new(false);
        Self { latest, clients: Arc::default(), max_clients, sampler_started, built: AtomicU64::new(0) }
    }

    pub fn max_clients(&self) -> usize {
        self.max_clients
    }

    /// Clients streaming now.
    pub fn clients(&self) -> usize {
        self.clients.load(Ordering::SeqCst)
    }

    /// Snapshots built since start (one per second while watched, however
    /// many clients read them).
    pub fn built(&self) -> u64 {
        self.built.load(Ordering::Relaxed)
    }

    /// A place for one more client, or `None` at the cap.
    pub fn admit(&self) -> Option<ClientSlot> {
        let below_cap = |n: usize| (n < self.max_clients).then_some(n + 1);
        let admitted = self.clients.fetch_update(Ordering::SeqCst, Ordering::SeqCst, below_cap).is_ok();
        admitted.then(|| ClientSlot(self.clients.clone()))
    }

    /// Runs `start` (which spawns the sampler) the first time only.
    pub fn start_sampler_once(&self, start: impl FnOnce()) {
        if !self.sampler_started.swap(true, Ordering::SeqCst) {
            start();
        }
    }

    /// A reader that sees the current frame (if any) and every later one.
    pub fn subscribe(&self) -> watch::Receiver<Bytes> {
        let mut reader = self.latest.subscribe();
        if !reader.borrow().is_empty() {
            reader.mark_changed();
        }
        reader
    }

    /// Whether any client reads the frames.
    pub fn watched(&self) -> bool {
        self.latest.receiver_count() > 0
    }

    /// Replaces the current frame.
    pub fn publish(&self, frame: Bytes) {
        self.built.fetch_add(1, Ordering::Relaxed);
        self.latest.send_replace(frame);
    }

    /// The sampler: publishes a frame from `build` each second while anyone
    /// watches; never returns (it lives as long as the task running it).
    pub async fn run_sampler<F, Fut>(&self, mut build: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Bytes>,
    {
        let mut ticks = tokio::time::interval(PERIOD);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if !self.watched() {
                continue;
            }
            let frame = build().await;
            self.publish(frame);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_past_the_cap_are_refused_until_one_leaves() {
        let hub = SnapshotHub::new(2);
        let first = hub.admit().expect("first");
        let _second = hub.admit().expect("second");
        assert!(hub.admit().is_none(), "third refused");
        drop(first);
        assert!(hub.admit().is_some(), "a place freed");
    }

    #[tokio::test]
    async fn every_reader_sees_the_one_published_frame() {
        let hub = SnapshotHub::new(4);
        let (mut a, mut b) = (hub.subscribe(), hub.subscribe());
        assert!(hub.watched());
        hub.publish(Bytes::from_static(b"frame"));
        for reader in [&mut a, &mut b] {
            reader.changed().await.expect("sender alive");
            assert_eq!(&reader.borrow_and_update()[..], b"frame");
        }
        let late = hub.subscribe();
        assert!(late.has_changed().expect("sender alive"), "a late reader gets the current frame");
    }
}
