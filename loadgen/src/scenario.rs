//! One run of one scenario, the same for the service and the ceiling:
//! warm-up (load runs, nothing recorded) → measurement window (load,
//! latencies, throughput, CPU/RSS of the watched processes) → drain (no new
//! load; wait for every accepted order to reach a terminal status, bounded
//! by --drain-timeout) → figures.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::broker;
use crate::cli::Args;
use crate::load::{ClosedPlan, Placer, Recorder, closed_loop, open_loop};
use crate::mix::Mix;
use crate::procstat::{ProcFigures, ProcWindow};
use crate::report::{Latency, RunFigures};
use crate::tally::{self, SharedTally};

/// How load is offered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Load {
    /// `--concurrency` connections, as fast as answers come (bounded by --max-backlog).
    Closed,
    /// Fixed arrival rate, orders/s.
    Open(f64),
}

/// Processes whose CPU and RSS are reported, and the broker's monitoring
/// endpoint (its message counters).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Watched {
    pub(crate) service: Option<u32>,
    pub(crate) nats: Option<u32>,
    pub(crate) monitor: Option<&'static str>,
}

struct Windows {
    service: Option<ProcWindow>,
    nats: Option<ProcWindow>,
    loadgen: Option<ProcWindow>,
}

impl Windows {
    fn start(watched: Watched) -> Self {
        Self {
            service: watched.service.and_then(ProcWindow::start),
            nats: watched.nats.and_then(ProcWindow::start),
            loadgen: ProcWindow::start(std::process::id()),
        }
    }

    fn finish(self) -> [Option<ProcFigures>; 3] {
        [self.service.map(ProcWindow::finish), self.nats.map(ProcWindow::finish), self.loadgen.map(ProcWindow::finish)]
    }
}

/// Runs one scenario: `placer` takes the orders, `tally` sees them finish.
pub(crate) async fn drive(
    args: &Args,
    mix: Arc<Mix>,
    placer: Arc<dyn Placer>,
    tally: SharedTally,
    load: Load,
    watched: Watched,
) -> RunFigures {
    let fixed_count = args.orders.is_some() && load == Load::Closed;
    let length = (!fixed_count).then(|| args.duration());
    let start = Instant::now();
    let window_start = start + args.warmup();
    let until = window_start + length.unwrap_or(Duration::from_secs(365 * 24 * 3600));
    let rec = Arc::new(Recorder::new(window_start, until));
    let in_msgs = |monitor: Option<&'static str>| async move {
        match monitor {
            Some(url) => broker::in_msgs(url).await,
            None => None,
        }
    };
    // Read before the first order, or its messages might be missed.
    let in_msgs_before = match args.warmup().is_zero() {
        true => in_msgs(watched.monitor).await,
        false => None,
    };
    let opener = {
        let tally = tally.clone();
        let open = move || {
            tally::lock(&tally).open_window(length);
            Windows::start(watched)
        };
        match args.warmup().is_zero() {
            // Open before the first order, or it might be missed.
            true => tokio::spawn(async move { (open(), in_msgs_before) }),
            false => tokio::spawn(async move {
                tokio::time::sleep_until(window_start.into()).await;
                let before = in_msgs(watched.monitor).await;
                (open(), before)
            }),
        }
    };
    match load {
        Load::Closed => {
            let backlog_of = tally.clone();
            let plan = ClosedPlan {
                concurrency: args.concurrency,
                until,
                orders: args.orders,
                max_backlog: args.max_backlog,
                backlog: Arc::new(move || tally::lock(&backlog_of).unfinished()),
            };
            closed_loop(placer, mix, rec.clone(), plan).await;
        }
        Load::Open(rate) => open_loop(placer, mix, rec.clone(), rate, start..until, args.max_in_flight).await,
    }
    let measured = rec.close_window();
    let (windows, in_msgs_before) = match opener.await {
        Ok(opened) => opened,
        Err(_) => (Windows::start(watched), None),
    };
    // A fixed count is measured until its last order finished.
    let (unfinished, [service, nats, loadgen], in_msgs_after) = if fixed_count {
        let unfinished = drain(&tally, &rec, args.drain_timeout()).await;
        (unfinished, windows.finish(), in_msgs(watched.monitor).await)
    } else {
        let after = in_msgs(watched.monitor).await;
        let figures = windows.finish();
        (drain(&tally, &rec, args.drain_timeout()).await, figures, after)
    };
    let t = tally::lock(&tally);
    let js_per_order = broker::per_order(in_msgs_before, in_msgs_after, t.terminal_in_window);
    let measured_secs = measured.as_secs_f64().max(1e-9);
    RunFigures {
        measured_secs,
        accepted_per_sec: rec.accepted_in_window.load(std::sync::atomic::Ordering::Relaxed) as f64 / measured_secs,
        completed_per_sec: t.terminal_per_sec(),
        accept_ms: Latency::of(&rec.accept_us()),
        send_late_ms: Latency::of(&rec.send_late_us()),
        slow_seconds: rec.slow_seconds(),
        e2e_ms: Latency::of(&t.e2e_us),
        accepted_total: rec.accepted_total.load(std::sync::atomic::Ordering::Relaxed),
        terminal_total: t.terminal,
        unfinished,
        outcomes: t.outcomes,
        expected: rec.expected(),
        errors: rec.errors(),
        retried: Default::default(),
        js_per_order,
        service,
        nats,
        loadgen,
    }
}

/// Waits until every accepted order was seen created and terminal; returns
/// how many were still unfinished at the deadline.
async fn drain(tally: &SharedTally, rec: &Recorder, timeout: Duration) -> u64 {
    let deadline = Instant::now() + timeout;
    loop {
        let accepted = rec.accepted_total.load(std::sync::atomic::Ordering::Relaxed);
        let (created, unfinished) = {
            let t = tally::lock(tally);
            (t.created, t.unfinished())
        };
        let missing = accepted.saturating_sub(created) + unfinished;
        if missing == 0 || Instant::now() >= deadline {
            return missing;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
