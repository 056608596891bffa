//! The loadgen command line (clap derive). Every default is the one the
//! standard suite (`make bench`) uses; BENCHMARKS.md lists the exact commands.

use clap::{Parser, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

/// What to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Mode {
    /// Closed loop: N connections, each sends its next order when the last is answered.
    Closed,
    /// Open loop at a fixed arrival rate; latency from the scheduled send time.
    Open,
    /// The raw async-nats ceiling only (no HTTP, no actors).
    Ceiling,
    /// Closed loop against the service, then the ceiling; prints the ratio.
    Both,
    /// The standard suite: closed loop, open loop at --rate, ceiling.
    Suite,
    /// Memory per in-flight order: submit --orders at once with slow payments.
    Memory,
    /// Flash sale: accept --orders as fast as the connections allow (no
    /// backlog cap), then report the accept rate and the drain rate.
    Spike,
}

/// JetStream fsync policy of a spawned nats-server: `default`, `always`,
/// or an interval such as `1s` or `250ms` (`jetstream { sync_interval }`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SyncMode {
    /// The server default (fsync every 2 minutes).
    Default,
    /// `sync_interval: always`: fsync every write.
    Always,
    /// `sync_interval: <ms>ms`: fsync this often.
    Every { millis: u64 },
}

impl SyncMode {
    /// The `sync_interval` line of nats.conf ("" for the server default).
    pub(crate) fn config_line(self) -> String {
        match self {
            Self::Default => String::new(),
            Self::Always => "  sync_interval: always\n".into(),
            Self::Every { millis } => format!("  sync_interval: \"{millis}ms\"\n"),
        }
    }
}

impl std::str::FromStr for SyncMode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let millis = |number: &str, scale: u64| {
            number.parse::<u64>().ok().filter(|n| *n > 0).map(|n| Self::Every { millis: n * scale })
        };
        let parsed = match text {
            "default" => Some(Self::Default),
            "always" => Some(Self::Always),
            _ => match text.strip_suffix("ms") {
                Some(number) => millis(number, 1),
                None => text.strip_suffix('s').and_then(|number| millis(number, 1000)),
            },
        };
        parsed.ok_or_else(|| format!("`{text}`: expected default, always, or an interval such as 1s or 250ms"))
    }
}

impl std::fmt::Display for SyncMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Default => f.write_str("default"),
            Self::Always => f.write_str("always"),
            Self::Every { millis } => write!(f, "{millis}ms"),
        }
    }
}

#[derive(Debug, Clone, Parser)]
#[command(name = "loadgen", version, about = "Load generator and raw-JetStream ceiling for order-service")]
pub(crate) struct Args {
    #[arg(long, value_enum, default_value_t = Mode::Closed)]
    pub(crate) mode: Mode,
    /// Base URL of a running service, or several replicas comma-separated
    /// (orders go round-robin); ignored with --spawn-service.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub(crate) service_url: String,
    /// NATS server of the service (ignored with --spawn-nats).
    #[arg(long, default_value = "nats://127.0.0.1:4222")]
    pub(crate) nats_url: String,
    /// Monitoring endpoint of that server, for its message counters
    /// (ignored with --spawn-nats, which enables monitoring itself).
    #[arg(long, default_value = "http://127.0.0.1:8222")]
    pub(crate) nats_monitor_url: String,
    /// Start a private nats-server (JetStream, temp store, free port).
    #[arg(long)]
    pub(crate) spawn_nats: bool,
    /// Start --service-bin on a free port against the NATS server.
    #[arg(long)]
    pub(crate) spawn_service: bool,
    #[arg(long, env = "NATS_SERVER_BIN", default_value = ".tools/nats-server")]
    pub(crate) nats_server_bin: PathBuf,
    #[arg(long, default_value = "target/release/order-service")]
    pub(crate) service_bin: PathBuf,
    /// fsync policy of the spawned nats-server: default (every 2 min), always, or an interval (1s, 250ms).
    #[arg(long, default_value_t = SyncMode::Default)]
    pub(crate) nats_sync: SyncMode,
    /// Process to report RSS/CPU for; default: the `order-service` serving --service-url.
    #[arg(long)]
    pub(crate) service_pid: Option<u32>,
    /// Measured seconds per scenario (after the warm-up).
    #[arg(long, default_value_t = 20.0)]
    pub(crate) duration: f64,
    /// Warm-up seconds per scenario (load runs, nothing is recorded).
    #[arg(long, default_value_t = 5.0)]
    pub(crate) warmup: f64,
    /// Send exactly this many orders instead of running for --duration (closed loop, memory).
    #[arg(long)]
    pub(crate) orders: Option<u64>,
    /// Concurrent connections in closed loop (and producers in the ceiling):
    /// enough to saturate the service on 2 cores (64 leaves it latency-bound).
    #[arg(long, default_value_t = 256)]
    pub(crate) concurrency: usize,
    /// Arrival rate of the open loop, orders/s.
    #[arg(long, default_value_t = 1000.0)]
    pub(crate) rate: f64,
    /// Closed loop pauses while more than this many accepted orders are unfinished (0 = never).
    #[arg(long, default_value_t = 4000)]
    pub(crate) max_backlog: u64,
    /// Open loop: requests outstanding at once before sends count as `loadgen_backlog` errors.
    #[arg(long, default_value_t = 20_000)]
    pub(crate) max_in_flight: usize,
    /// Seconds to wait after the load for every accepted order to finish.
    #[arg(long, default_value_t = 60.0)]
    pub(crate) drain_timeout: f64,
    /// In-stock SKUs (stock set very high before the run). Fewer SKUs = more
    /// compare-and-set contention on each stock record.
    #[arg(long, default_value_t = 1000)]
    pub(crate) skus: usize,
    /// Share of orders with one line on a SKU with 0 stock (→ FAILED OUT_OF_STOCK).
    #[arg(long, default_value_t = 0.05)]
    pub(crate) out_of_stock_share: f64,
    /// Share of orders paid with a `tok_decline…` token (→ FAILED PAYMENT_DECLINED).
    #[arg(long, default_value_t = 0.05)]
    pub(crate) decline_share: f64,
    /// Lines per order: uniform in min_items..=max_items, distinct SKUs.
    #[arg(long, default_value_t = 3)]
    pub(crate) max_items: usize,
    /// Fewest lines per order (`--min-items 2 --max-items 2`: every order k = 2).
    #[arg(long, default_value_t = 1)]
    pub(crate) min_items: usize,
    /// Orders of the suite's spike row (`--mode spike` takes --orders).
    #[arg(long, default_value_t = 100_000)]
    pub(crate) spike_orders: u64,
    /// PAYMENT_SIM_LATENCY_MS of a spawned service; also used by the ceiling.
    #[arg(long, default_value_t = 0)]
    pub(crate) payment_latency_ms: u64,
    /// WORKER_POOL_SIZE of a spawned service (unset: service default 10).
    #[arg(long)]
    pub(crate) worker_pool_size: Option<usize>,
    /// MAILBOX_CAPACITY of a spawned service (unset: service default 64).
    #[arg(long)]
    pub(crate) mailbox_capacity: Option<usize>,
    /// RUST_LOG of a spawned service (`info` logs one line per order).
    #[arg(long, default_value = "warn")]
    pub(crate) service_log: String,
    /// Repeat each scenario this many times; the table shows medians.
    #[arg(long, default_value_t = 1)]
    pub(crate) runs: usize,
    /// Write machine-readable results here.
    #[arg(long)]
    pub(crate) json: Option<PathBuf>,
    /// Runtime worker threads of loadgen itself.
    #[arg(long, default_value_t = 2)]
    pub(crate) threads: usize,
    /// Seed of the order mix (deterministic per sequence number).
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
}

impl Args {
    pub(crate) fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.duration.max(0.1))
    }

    pub(crate) fn warmup(&self) -> Duration {
        Duration::from_secs_f64(self.warmup.max(0.0))
    }

    pub(crate) fn drain_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.drain_timeout.max(0.0))
    }

    /// Deliveries the service's pool holds at once (the ceiling holds as many).
    pub(crate) fn pool_capacity(&self) -> usize {
        self.worker_pool_size.unwrap_or(10) * self.mailbox_capacity.unwrap_or(64)
    }

    /// Problems a run would only discover late, reported before anything starts.
    pub(crate) fn validate(&self) -> anyhow::Result<()> {
        let mut problems = Vec::new();
        if self.concurrency == 0 {
            problems.push("--concurrency must be at least 1");
        }
        if self.rate <= 0.0 {
            problems.push("--rate must be positive");
        }
        if self.skus == 0 || self.max_items == 0 {
            problems.push("--skus and --max-items must be at least 1");
        }
        if !(0.0..=1.0).contains(&self.out_of_stock_share) || !(0.0..=1.0).contains(&self.decline_share) {
            problems.push("shares must be within 0..=1");
        }
        if self.runs == 0 || self.threads == 0 {
            problems.push("--runs and --threads must be at least 1");
        }
        if matches!(self.mode, Mode::Memory | Mode::Spike) && self.orders.is_none() {
            problems.push("--mode memory and --mode spike need --orders");
        }
        if self.min_items == 0 || self.min_items > self.max_items {
            problems.push("--min-items must be from 1 to --max-items");
        }
        if self.spawn_service && !self.spawn_nats && self.nats_url.is_empty() {
            problems.push("--spawn-service needs --nats-url or --spawn-nats");
        }
        match problems.is_empty() {
            true => Ok(()),
            false => anyhow::bail!("invalid arguments: {}", problems.join("; ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SyncMode;

    #[test]
    fn sync_mode_parses_default_always_and_intervals_and_refuses_the_rest() {
        assert_eq!("default".parse(), Ok(SyncMode::Default));
        assert_eq!("always".parse(), Ok(SyncMode::Always));
        assert_eq!("1s".parse(), Ok(SyncMode::Every { millis: 1000 }));
        assert_eq!("250ms".parse(), Ok(SyncMode::Every { millis: 250 }));
        for bad in ["", "0s", "1m", "fast", "-1s", "1.5s"] {
            assert!(bad.parse::<SyncMode>().is_err(), "{bad} should be refused");
        }
        assert_eq!(SyncMode::Every { millis: 250 }.config_line(), "  sync_interval: \"250ms\"\n");
        assert_eq!(SyncMode::Every { millis: 250 }.to_string(), "250ms");
    }
}
