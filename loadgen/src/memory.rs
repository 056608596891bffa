//! Memory per in-flight order: with slow simulated payments (run the service
//! with a large PAYMENT_SIM_LATENCY_MS and a pool big enough to admit
//! them), `--orders` orders are sent as fast as the closed loop allows,
//! so they pile up inside the service waiting for the payment.
//!
//! Reports RSS before (idle), at its peak and after everything finished
//! (plus a short idle pause), the peak of orders held by the service (its
//! `deliveries_in_flight` gauge) and of orders accepted but unfinished
//! (from the event stream), and (peak − before) / peak held orders, and
//! how many saga messages the service saw redelivered (a delivery that
//! outlived `ack_wait` shows up there).

use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::cli::Args;
use crate::load::{ClosedPlan, Recorder, closed_loop};
use crate::mix::Mix;
use crate::observer::Observer;
use crate::procstat::{self, ProcWindow};
use crate::report::Latency;
use crate::suite::Env;
use crate::tally;
use crate::target::Target;

const SETTLE: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(200);

#[derive(Debug, Clone, Serialize)]
pub(crate) struct MemoryFigures {
    pub(crate) orders: u64,
    pub(crate) payment_latency_ms: u64,
    pub(crate) rss_before_kib: u64,
    pub(crate) rss_peak_kib: u64,
    pub(crate) rss_after_kib: u64,
    /// Peak of the service's `deliveries_in_flight` gauge.
    pub(crate) peak_held_by_service: u64,
    /// Peak of accepted-but-unfinished orders (many may wait in JetStream).
    pub(crate) peak_unfinished: u64,
    /// (peak − before) / peak held by the service, in bytes.
    pub(crate) bytes_per_held_order: f64,
    pub(crate) accept_ms: Latency,
    pub(crate) e2e_ms: Latency,
    pub(crate) unfinished: u64,
    /// The service's `redeliveries` counter at the end (None if unreadable).
    pub(crate) redeliveries: Option<u64>,
    pub(crate) errors: std::collections::BTreeMap<String, u64>,
}

impl MemoryFigures {
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut out: Vec<String> = self.errors.iter().map(|(k, n)| format!("memory: {n} × {k}")).collect();
        if self.unfinished > 0 {
            out.push(format!("memory: {} orders never finished", self.unfinished));
        }
        out
    }
}

/// The value of the service's metric whose name contains `name`, if it can
/// be read.
async fn metric(target: &Target, name: &str) -> Option<u64> {
    let text = target.metrics().await?;
    let line = text.lines().find(|l| !l.starts_with('#') && l.contains(name))?;
    line.split_whitespace().last()?.parse::<f64>().ok().map(|v| v as u64)
}

pub(crate) async fn run(args: &Args, env: &Env, mix: &Mix) -> anyhow::Result<MemoryFigures> {
    let pid = env.watched.service.ok_or_else(|| anyhow::anyhow!("--mode memory needs the service's pid"))?;
    let orders = args.orders.unwrap_or_default();
    let target = Arc::new(Target::new(&env.service_url, args.concurrency)?);
    target.wait_ready(Duration::from_secs(30)).await?;
    target.stock(mix).await?;
    let observer = Observer::start(&env.nats_url).await?;
    let (rss_before, _) = procstat::memory_kib(pid).unwrap_or_default();
    let window = ProcWindow::start(pid);
    let peak_held = Arc::new(AtomicU64::new(0));
    let peak_unfinished = Arc::new(AtomicU64::new(0));
    let watcher = {
        let (target, tally) = (target.clone(), observer.tally.clone());
        let (peak_held, peak_unfinished) = (peak_held.clone(), peak_unfinished.clone());
        tokio::spawn(async move {
            loop {
                if let Some(n) = metric(&target, "deliveries_in_flight").await {
                    peak_held.fetch_max(n, Ordering::Relaxed);
                }
                peak_unfinished.fetch_max(tally::lock(&tally).unfinished(), Ordering::Relaxed);
                tokio::time::sleep(POLL).await;
            }
        })
    };
    tally::lock(&observer.tally).open_window(None);
    let far = Instant::now() + Duration::from_secs(365 * 24 * 3600);
    let rec = Arc::new(Recorder::new(Instant::now(), far));
    let plan = ClosedPlan {
        concurrency: args.concurrency,
        until: far,
        orders: Some(orders),
        max_backlog: 0,
        backlog: Arc::new(|| 0),
    };
    closed_loop(target.clone(), Arc::new(mix.for_run("memory")), rec.clone(), plan).await;
    let deadline = Instant::now() + args.drain_timeout();
    let unfinished = loop {
        let accepted = rec.accepted_total.load(Ordering::Relaxed);
        let (created, open) = {
            let t = tally::lock(&observer.tally);
            (t.created, t.unfinished())
        };
        let missing = accepted.saturating_sub(created) + open;
        if missing == 0 || Instant::now() >= deadline {
            break missing;
        }
        tokio::time::sleep(POLL).await;
    };
    watcher.abort();
    let redeliveries = metric(&target, "redeliveries").await;
    tokio::time::sleep(SETTLE).await;
    let figures = window.map(ProcWindow::finish).unwrap_or_default();
    let peak_held = peak_held.load(Ordering::Relaxed);
    let e2e_ms = Latency::of(&tally::lock(&observer.tally).e2e_us);
    observer.stop();
    Ok(MemoryFigures {
        orders,
        payment_latency_ms: args.payment_latency_ms,
        rss_before_kib: rss_before,
        rss_peak_kib: figures.rss_peak_kib,
        rss_after_kib: figures.rss_end_kib,
        peak_held_by_service: peak_held,
        peak_unfinished: peak_unfinished.load(Ordering::Relaxed),
        bytes_per_held_order: match peak_held {
            0 => 0.0,
            n => figures.rss_peak_kib.saturating_sub(rss_before) as f64 * 1024.0 / n as f64,
        },
        accept_ms: Latency::of(&rec.accept_us()),
        e2e_ms,
        unfinished,
        redeliveries,
        errors: rec.errors(),
    })
}

pub(crate) fn print(m: &MemoryFigures) {
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "\nmemory: {} orders, payment latency {} ms\n  RSS before {:.1} MiB, peak {:.1} MiB, after {:.1} MiB\n  \
         peak held by the service {} (peak accepted-unfinished {}), {:.0} bytes per held order\n  \
         accept p99 {:.1} ms, end-to-end p50 {:.0} ms / max {:.0} ms, unfinished {}, redelivered {}",
        m.orders,
        m.payment_latency_ms,
        mib(m.rss_before_kib),
        mib(m.rss_peak_kib),
        mib(m.rss_after_kib),
        m.peak_held_by_service,
        m.peak_unfinished,
        m.bytes_per_held_order,
        m.accept_ms.p99,
        m.e2e_ms.p50,
        m.e2e_ms.max,
        m.unfinished,
        m.redeliveries.map_or_else(|| "?".to_string(), |n| n.to_string()),
    );
}
