//! Offered load: the closed loop (N connections, each sends its next order
//! when the last one is answered) and the open loop (orders scheduled at a
//! fixed rate, each sent at its slot whether or not earlier ones were
//! answered). Accept latency runs from the *scheduled* send time in the
//! open loop, so a stalled service cannot hide its stall by slowing the
//! sender down (no coordinated omission). The open loop is paced by an
//! OS thread sleeping to each slot (tokio's timer rounds every deadline up
//! to the next millisecond, which added up to 1 ms to every sample), and
//! the sender's own lateness (slot → request task running) is recorded
//! apart, so a late generator shows as such instead of as service latency.
//!
//! Orders go to a [`Placer`]: the service over HTTP or the raw ceiling.
//! Only requests scheduled inside the measurement window are recorded;
//! errors are counted by kind in every phase.

use futures::future::BoxFuture;
use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::mix::{Expected, Mix, Planned};
use crate::report::{Outcomes, new_histogram};

/// Something orders can be placed with; `Err` is the error kind.
pub(crate) trait Placer: Send + Sync + 'static {
    fn place<'a>(&'a self, order: &'a Planned) -> BoxFuture<'a, Result<(), String>>;
}

/// Accept latencies above this count as slow in the timeline (the
/// issue's accept p99 target).
pub(crate) const SLOW_US: u64 = 5_000;

/// One second of the window (counted from its start) with slow accepts.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub(crate) struct SlowSecond {
    pub(crate) second: u64,
    /// Accepts slower than [`SLOW_US`] scheduled in that second.
    pub(crate) over: u64,
    pub(crate) max_ms: f64,
}

/// What the sending side saw.
#[derive(Debug)]
pub(crate) struct Recorder {
    window_start: Instant,
    window_end: Mutex<Instant>,
    accept_us: Mutex<Histogram<u64>>,
    /// Open loop: scheduled slot → request task running, in the window.
    send_late_us: Mutex<Histogram<u64>>,
    /// Seconds of the window with accept latencies over [`SLOW_US`]: tells
    /// a stall (a few bad seconds) from a spread tail.
    slow_seconds: Mutex<BTreeMap<u64, SlowSecond>>,
    pub(crate) accepted_in_window: AtomicU64,
    pub(crate) accepted_total: AtomicU64,
    expected: Mutex<Outcomes>,
    errors: Mutex<BTreeMap<String, u64>>,
}

impl Recorder {
    pub(crate) fn new(window_start: Instant, window_end: Instant) -> Self {
        Self {
            window_start,
            window_end: Mutex::new(window_end),
            accept_us: Mutex::new(new_histogram()),
            send_late_us: Mutex::new(new_histogram()),
            slow_seconds: Mutex::new(BTreeMap::new()),
            accepted_in_window: AtomicU64::new(0),
            accepted_total: AtomicU64::new(0),
            expected: Mutex::new(Outcomes::default()),
            errors: Mutex::new(BTreeMap::new()),
        }
    }

    fn in_window(&self, at: Instant) -> bool {
        at >= self.window_start && at < *lock(&self.window_end)
    }

    /// Ends the window now (fixed-count runs end when the last order is answered).
    pub(crate) fn close_window(&self) -> Duration {
        let mut end = lock(&self.window_end);
        *end = Instant::now().min(*end);
        end.saturating_duration_since(self.window_start)
    }

    pub(crate) fn record(&self, scheduled: Instant, expected: Expected, result: Result<(), String>) {
        if let Err(kind) = result {
            return self.error(kind);
        }
        self.accepted_total.fetch_add(1, Ordering::Relaxed);
        let mut outcomes = lock(&self.expected);
        match expected {
            Expected::Completed => outcomes.completed += 1,
            Expected::OutOfStock => outcomes.out_of_stock += 1,
            Expected::Declined => outcomes.payment_declined += 1,
        }
        drop(outcomes);
        if self.in_window(scheduled) {
            self.accepted_in_window.fetch_add(1, Ordering::Relaxed);
            let micros = scheduled.elapsed().as_micros().max(1) as u64;
            lock(&self.accept_us).saturating_record(micros);
            if micros > SLOW_US {
                let second = scheduled.saturating_duration_since(self.window_start).as_secs();
                let mut slow = lock(&self.slow_seconds);
                let entry = slow.entry(second).or_insert(SlowSecond { second, ..SlowSecond::default() });
                entry.over = entry.over.saturating_add(1);
                entry.max_ms = entry.max_ms.max(micros as f64 / 1000.0);
            }
        }
    }

    /// The open loop's request for `scheduled` started running at `started`.
    fn record_send(&self, scheduled: Instant, started: Instant) {
        if self.in_window(scheduled) {
            let micros = started.saturating_duration_since(scheduled).as_micros() as u64;
            lock(&self.send_late_us).saturating_record(micros);
        }
    }

    pub(crate) fn error(&self, kind: String) {
        *lock(&self.errors).entry(kind).or_insert(0) += 1;
    }

    pub(crate) fn accept_us(&self) -> Histogram<u64> {
        lock(&self.accept_us).clone()
    }

    /// The window's seconds with slow accepts, most slow samples first.
    pub(crate) fn slow_seconds(&self) -> Vec<SlowSecond> {
        let mut seconds: Vec<SlowSecond> = lock(&self.slow_seconds).values().copied().collect();
        seconds.sort_by(|a, b| b.over.cmp(&a.over).then(a.second.cmp(&b.second)));
        seconds
    }

    pub(crate) fn send_late_us(&self) -> Histogram<u64> {
        lock(&self.send_late_us).clone()
    }

    pub(crate) fn expected(&self) -> Outcomes {
        *lock(&self.expected)
    }

    pub(crate) fn errors(&self) -> BTreeMap<String, u64> {
        lock(&self.errors).clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// How much closed-loop load to offer.
pub(crate) struct ClosedPlan {
    pub(crate) concurrency: usize,
    /// Stop sending at this instant…
    pub(crate) until: Instant,
    /// …or after this many orders.
    pub(crate) orders: Option<u64>,
    /// Pause while more than this many accepted orders are unfinished (0 = never).
    pub(crate) max_backlog: u64,
    pub(crate) backlog: Arc<dyn Fn() -> u64 + Send + Sync>,
}

/// Runs the closed loop until `plan.until` or `plan.orders` are sent.
pub(crate) async fn closed_loop(target: Arc<dyn Placer>, mix: Arc<Mix>, rec: Arc<Recorder>, plan: ClosedPlan) {
    let next = Arc::new(AtomicU64::new(0));
    let plan = Arc::new(plan);
    let tasks: Vec<_> = (0..plan.concurrency)
        .map(|_| {
            let (target, mix, rec, plan, next) = (target.clone(), mix.clone(), rec.clone(), plan.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    while plan.max_backlog > 0 && (plan.backlog)() > plan.max_backlog && Instant::now() < plan.until {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                    let seq = next.fetch_add(1, Ordering::Relaxed);
                    if Instant::now() >= plan.until || plan.orders.is_some_and(|n| seq >= n) {
                        return;
                    }
                    let order = mix.plan(seq);
                    let started = Instant::now();
                    let result = target.place(&order).await;
                    rec.record(started, order.expected, result);
                }
            })
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
}

/// Runs the open loop at `rate` orders/s, slots from `slots.start` until
/// `slots.end` (a slot the pacer reaches late is sent at once, and counted late).
pub(crate) async fn open_loop(
    target: Arc<dyn Placer>,
    mix: Arc<Mix>,
    rec: Arc<Recorder>,
    rate: f64,
    slots: std::ops::Range<Instant>,
    max_in_flight: usize,
) {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let runtime = tokio::runtime::Handle::current();
    let pacer_in_flight = in_flight.clone();
    let pacer = move || {
        for seq in 0u64.. {
            let scheduled = slots.start + Duration::from_secs_f64(seq as f64 / rate);
            if scheduled >= slots.end {
                break;
            }
            // nanosleep: ~50 µs late at worst, against tokio's 1 ms ticks.
            std::thread::sleep(scheduled.saturating_duration_since(Instant::now()));
            if pacer_in_flight.load(Ordering::Relaxed) >= max_in_flight {
                rec.error("loadgen_backlog".into());
                continue;
            }
            pacer_in_flight.fetch_add(1, Ordering::Relaxed);
            let (target, mix, rec, in_flight) = (target.clone(), mix.clone(), rec.clone(), pacer_in_flight.clone());
            runtime.spawn(async move {
                rec.record_send(scheduled, Instant::now());
                let order = mix.plan(seq);
                let result = target.place(&order).await;
                rec.record(scheduled, order.expected, result);
                in_flight.fetch_sub(1, Ordering::Relaxed);
            });
        }
    };
    let _ = tokio::task::spawn_blocking(pacer).await;
    // Requests time out after 30 s, so this ends.
    while in_flight.load(Ordering::Relaxed) > 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
