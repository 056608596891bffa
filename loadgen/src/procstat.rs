//! Resource use of a process from /proc: CPU time (`/proc/<pid>/stat`
//! utime + stime) and memory (`/proc/<pid>/status` VmRSS, VmHWM), sampled
//! every 100 ms so the peak RSS of a measurement window is known even when
//! VmHWM already holds an earlier, higher peak.
//!
//! Linux only; a process that vanished reads as `None` rather than failing
//! the run.

use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// USER_HZ: /proc reports CPU time in these ticks; fixed at 100 by the
/// kernel ABI on x86_64 and aarch64.
const TICKS_PER_SEC: f64 = 100.0;
const SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// What one process used during a window.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct ProcFigures {
    pub(crate) pid: u32,
    /// CPU time / wall time, in percent of one core.
    pub(crate) cpu_percent: f64,
    pub(crate) rss_start_kib: u64,
    pub(crate) rss_peak_kib: u64,
    pub(crate) rss_end_kib: u64,
    /// VmHWM: peak RSS since the process started.
    pub(crate) hwm_kib: u64,
}

/// CPU ticks (utime + stime) of `pid`.
pub(crate) fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may contain spaces: fields are counted after its ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace();
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// `(VmRSS, VmHWM)` of `pid` in KiB.
pub(crate) fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse::<u64>().ok()
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// The process named `name` (its `comm`); with several, the one whose
/// environment has `HTTP_ADDR` ending in `:<port>`, else none.
pub(crate) fn find_by_name(name: &str, port: Option<u16>) -> Option<u32> {
    let candidates: Vec<u32> = std::fs::read_dir("/proc")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim_end() == name))
        .collect();
    let serves_port = |pid: &u32| {
        let Some(port) = port else { return false };
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        let suffix = format!(":{port}");
        environ.split(|b| *b == 0).any(|var| {
            let var = String::from_utf8_lossy(var);
            var.strip_prefix("HTTP_ADDR=").is_some_and(|addr| addr.ends_with(&suffix))
        })
    };
    match candidates.iter().copied().find(serves_port) {
        Some(pid) => Some(pid),
        None if candidates.len() == 1 => candidates.first().copied(),
        None => None,
    }
}

/// Watches one process over a measurement window.
#[derive(Debug)]
pub(crate) struct ProcWindow {
    pid: u32,
    started: Instant,
    start_ticks: u64,
    start_rss: u64,
    peak: Arc<AtomicU64>,
    sampler: tokio::task::JoinHandle<()>,
}

impl ProcWindow {
    /// Starts sampling `pid`; `None` if it cannot be read.
    pub(crate) fn start(pid: u32) -> Option<Self> {
        let (rss, _) = memory_kib(pid)?;
        let peak = Arc::new(AtomicU64::new(rss));
        let sampler = tokio::spawn(sample_peak(pid, peak.clone()));
        Some(Self { pid, started: Instant::now(), start_ticks: cpu_ticks(pid)?, start_rss: rss, peak, sampler })
    }

    /// Stops sampling and returns the window's figures.
    pub(crate) fn finish(self) -> ProcFigures {
        self.sampler.abort();
        let wall = self.started.elapsed().as_secs_f64().max(1e-9);
        let ticks = cpu_ticks(self.pid).unwrap_or(self.start_ticks).saturating_sub(self.start_ticks);
        let (rss_end, hwm) = memory_kib(self.pid).unwrap_or((0, 0));
        ProcFigures {
            pid: self.pid,
            cpu_percent: 100.0 * ticks as f64 / TICKS_PER_SEC / wall,
            rss_start_kib: self.start_rss,
            rss_peak_kib: self.peak.load(Ordering::Relaxed).max(rss_end),
            rss_end_kib: rss_end,
            hwm_kib: hwm,
        }
    }
}

async fn sample_peak(pid: u32, peak: Arc<AtomicU64>) {
    loop {
        tokio::time::sleep(SAMPLE_EVERY).await;
        match memory_kib(pid) {
            Some((rss, _)) => {
                peak.fetch_max(rss, Ordering::Relaxed);
            }
            None => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_can_be_read() {
        let pid = std::process::id();
        assert!(cpu_ticks(pid).is_some());
        let (rss, hwm) = memory_kib(pid).unwrap_or_default();
        assert!(rss > 0 && hwm >= rss);
    }
}
