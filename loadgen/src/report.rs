//! Results: the figures of one run of a scenario, the median over repeated
//! runs, the human-readable table and the `--json` document.
//!
//! Latencies are recorded in microseconds in HdrHistograms (3 significant
//! digits) and reported in milliseconds.

use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;

use crate::load::{SLOW_US, SlowSecond};
use crate::procstat::ProcFigures;

/// A histogram for latencies in µs, 1 µs … 1 h, auto-resizing beyond.
pub(crate) fn new_histogram() -> Histogram<u64> {
    let mut h = Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("constant histogram bounds are valid");
    h.auto(true);
    h
}

/// p50/p90/p99/p99.9/max in ms.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub(crate) struct Latency {
    pub(crate) count: u64,
    pub(crate) p50: f64,
    pub(crate) p90: f64,
    pub(crate) p99: f64,
    pub(crate) p999: f64,
    pub(crate) max: f64,
}

impl Latency {
    pub(crate) fn of(h: &Histogram<u64>) -> Self {
        let ms = |us: u64| us as f64 / 1000.0;
        if h.is_empty() {
            return Self::default();
        }
        Self {
            count: h.len(),
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
        }
    }
}

/// Terminal outcomes seen (or expected, from the mix).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Outcomes {
    pub(crate) completed: u64,
    pub(crate) out_of_stock: u64,
    pub(crate) payment_declined: u64,
    pub(crate) other_failure: u64,
}

/// The figures of one run of one scenario.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct RunFigures {
    pub(crate) measured_secs: f64,
    /// Orders accepted (HTTP 2xx; ceiling: ORDER.created acked) per second in the window.
    pub(crate) accepted_per_sec: f64,
    /// Orders reaching COMPLETED or FAILED per second in the window.
    pub(crate) completed_per_sec: f64,
    pub(crate) accept_ms: Latency,
    pub(crate) e2e_ms: Latency,
    /// Open loop: how late loadgen itself started each request after its
    /// slot (included in `accept_ms`; empty for the closed loop).
    pub(crate) send_late_ms: Latency,
    /// Seconds of the window with accepts over 5 ms, worst first (runs
    /// only; empty in the median).
    pub(crate) slow_seconds: Vec<SlowSecond>,
    /// Every order accepted during the run (warm-up included).
    pub(crate) accepted_total: u64,
    pub(crate) terminal_total: u64,
    /// Accepted but not terminal when the drain timeout ran out.
    pub(crate) unfinished: u64,
    pub(crate) outcomes: Outcomes,
    pub(crate) expected: Outcomes,
    pub(crate) errors: BTreeMap<String, u64>,
    /// Ceiling only: saga attempts nak'd after a transient failure and redone.
    pub(crate) retried: BTreeMap<String, u64>,
    /// Messages the broker received from its clients in the window (its
    /// `in_msgs`) per order finished in it: JetStream round trips per order.
    pub(crate) js_per_order: Option<f64>,
    pub(crate) service: Option<ProcFigures>,
    pub(crate) nats: Option<ProcFigures>,
    pub(crate) loadgen: Option<ProcFigures>,
}

impl RunFigures {
    /// Problems that make the run a failure (exit code 3).
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut out: Vec<String> = self.errors.iter().map(|(k, n)| format!("{n} × {k}")).collect();
        if self.unfinished > 0 {
            out.push(format!("{} accepted orders never reached a terminal status", self.unfinished));
        }
        if self.unfinished == 0 && self.outcomes != self.expected {
            out.push(format!("outcomes {:?} differ from the mix {:?}", self.outcomes, self.expected));
        }
        out
    }
}

/// All runs of one scenario and their medians.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ScenarioResult {
    pub(crate) name: String,
    pub(crate) median: RunFigures,
    pub(crate) runs: Vec<RunFigures>,
}

impl ScenarioResult {
    pub(crate) fn new(name: impl Into<String>, runs: Vec<RunFigures>) -> Self {
        Self { name: name.into(), median: median(&runs), runs }
    }
}

fn med(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn med_latency(all: Vec<Latency>) -> Latency {
    let pick = |f: fn(&Latency) -> f64| med(all.iter().map(f).collect());
    Latency {
        count: all.iter().map(|l| l.count).sum(),
        p50: pick(|l| l.p50),
        p90: pick(|l| l.p90),
        p99: pick(|l| l.p99),
        p999: pick(|l| l.p999),
        max: pick(|l| l.max),
    }
}

fn med_proc(all: Vec<&ProcFigures>) -> Option<ProcFigures> {
    let pick = |f: fn(&ProcFigures) -> f64| med(all.iter().map(|p| f(p)).collect());
    let first = all.first()?;
    Some(ProcFigures {
        pid: first.pid,
        cpu_percent: pick(|p| p.cpu_percent),
        rss_start_kib: pick(|p| p.rss_start_kib as f64) as u64,
        rss_peak_kib: pick(|p| p.rss_peak_kib as f64) as u64,
        rss_end_kib: pick(|p| p.rss_end_kib as f64) as u64,
        hwm_kib: all.iter().map(|p| p.hwm_kib).max().unwrap_or_default(),
    })
}

/// Median of each figure over the runs; counts and errors are summed.
fn median(runs: &[RunFigures]) -> RunFigures {
    let pick = |f: fn(&RunFigures) -> f64| med(runs.iter().map(f).collect());
    let total = |f: fn(&RunFigures) -> &BTreeMap<String, u64>| {
        let mut sum = BTreeMap::new();
        for (kind, n) in runs.iter().flat_map(|r| f(r).iter()) {
            *sum.entry(kind.clone()).or_insert(0) += n;
        }
        sum
    };
    let sum = |f: fn(&RunFigures) -> u64| runs.iter().map(f).sum::<u64>();
    let outcomes = |f: fn(&RunFigures) -> Outcomes| Outcomes {
        completed: runs.iter().map(|r| f(r).completed).sum(),
        out_of_stock: runs.iter().map(|r| f(r).out_of_stock).sum(),
        payment_declined: runs.iter().map(|r| f(r).payment_declined).sum(),
        other_failure: runs.iter().map(|r| f(r).other_failure).sum(),
    };
    RunFigures {
        measured_secs: pick(|r| r.measured_secs),
        accepted_per_sec: pick(|r| r.accepted_per_sec),
        completed_per_sec: pick(|r| r.completed_per_sec),
        accept_ms: med_latency(runs.iter().map(|r| r.accept_ms).collect()),
        e2e_ms: med_latency(runs.iter().map(|r| r.e2e_ms).collect()),
        send_late_ms: med_latency(runs.iter().map(|r| r.send_late_ms).collect()),
        slow_seconds: Vec::new(),
        accepted_total: sum(|r| r.accepted_total),
        terminal_total: sum(|r| r.terminal_total),
        unfinished: sum(|r| r.unfinished),
        outcomes: outcomes(|r| r.outcomes),
        expected: outcomes(|r| r.expected),
        errors: total(|r| &r.errors),
        retried: total(|r| &r.retried),
        js_per_order: {
            let all: Vec<f64> = runs.iter().filter_map(|r| r.js_per_order).collect();
            (!all.is_empty()).then(|| med(all))
        },
        service: med_proc(runs.iter().filter_map(|r| r.service.as_ref()).collect()),
        nats: med_proc(runs.iter().filter_map(|r| r.nats.as_ref()).collect()),
        loadgen: med_proc(runs.iter().filter_map(|r| r.loadgen.as_ref()).collect()),
    }
}

/// One line on where a run's slow accepts were: the seconds of the window
/// that had any, the worst five of them first.
pub(crate) fn slow_summary(run: &RunFigures) -> Option<String> {
    let worst: Vec<String> = run
        .slow_seconds
        .iter()
        .take(5)
        .map(|s| format!("{} s: {} (max {:.1} ms)", s.second, s.over, s.max_ms))
        .collect();
    let total: u64 = run.slow_seconds.iter().map(|s| s.over).sum();
    (!worst.is_empty()).then(|| {
        let seconds = run.slow_seconds.len();
        format!(
            "{total} accepts over {} ms in {seconds} of {:.0} s; worst seconds: {}",
            SLOW_US / 1000,
            run.measured_secs,
            worst.join(", ")
        )
    })
}

/// Prints the results table (medians) to stdout.
pub(crate) fn print_table(results: &[ScenarioResult], ratio: Option<f64>) {
    println!(
        "\n{:<22} {:>4} {:>9} {:>9} {:>8} | {:>41} | {:>41} | {:>6} {:>11} {:>11} {:>8}",
        "scenario",
        "runs",
        "acc/s",
        "done/s",
        "js/order",
        "accept ms p50/p90/p99/p99.9/max",
        "end-to-end ms p50/p90/p99/p99.9/max",
        "errors",
        "svc cpu%",
        "svc rss MiB",
        "nats cpu%"
    );
    for r in results {
        let m = &r.median;
        let errors: u64 = m.errors.values().sum::<u64>() + m.unfinished;
        let cpu = |p: &Option<ProcFigures>| p.as_ref().map_or("-".into(), |p| format!("{:.0}", p.cpu_percent));
        let rss = m.service.as_ref().map_or("-".into(), |p| format!("{:.1}", p.rss_peak_kib as f64 / 1024.0));
        println!(
            "{:<22} {:>4} {:>9.0} {:>9.0} {:>8} | {:>41} | {:>41} | {:>6} {:>11} {:>11} {:>8}",
            r.name,
            r.runs.len(),
            m.accepted_per_sec,
            m.completed_per_sec,
            m.js_per_order.map_or("-".into(), |n| format!("{n:.1}")),
            latency_cell(&m.accept_ms),
            latency_cell(&m.e2e_ms),
            errors,
            cpu(&m.service),
            rss,
            cpu(&m.nats)
        );
    }
    for r in results.iter().filter(|r| r.median.send_late_ms.count > 0) {
        let late = latency_cell(&r.median.send_late_ms);
        println!("{}: loadgen's own send lateness (part of accept) ms p50/p90/p99/p99.9/max {late}", r.name);
    }
    if let Some(ratio) = ratio {
        println!("\nservice / raw ceiling (completed orders/s): {:.1}%", ratio * 100.0);
    }
    for r in results {
        for problem in r.median.problems() {
            println!("! {}: {problem}", r.name);
        }
    }
}

fn latency_cell(l: &Latency) -> String {
    if l.count == 0 {
        return "-".into();
    }
    format!("{:.2}/{:.2}/{:.2}/{:.2}/{:.1}", l.p50, l.p90, l.p99, l.p999, l.max)
}
