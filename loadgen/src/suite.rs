//! What a loadgen invocation runs: sets up the environment (spawned or
//! existing nats-server and service), runs the scenarios of `--mode`
//! `--runs` times each, prints the table, writes `--json`, and returns the
//! problems that make the run fail (errors, unfinished or wrong outcomes).

use anyhow::Context as _;
use serde::Serialize;
use std::sync::Arc;

use crate::ceiling;
use crate::cli::{Args, Mode};
use crate::memory::{self, MemoryFigures};
use crate::mix::Mix;
use crate::observer::Observer;
use crate::procstat;
use crate::report::{self, RunFigures, ScenarioResult};
use crate::scenario::{self, Load, Watched};
use crate::spawn::{NatsProcess, ServiceProcess};
use crate::target::Target;

/// Where the load goes, and what loadgen started to get there.
#[derive(Debug)]
pub(crate) struct Env {
    pub(crate) nats_url: String,
    pub(crate) service_url: String,
    pub(crate) watched: Watched,
    service: Option<ServiceProcess>,
    _nats: Option<NatsProcess>,
}

impl Env {
    async fn set_up(args: &Args) -> anyhow::Result<Self> {
        let nats = match args.spawn_nats {
            true => Some(NatsProcess::start(&args.nats_server_bin, args.nats_sync).await?),
            false => None,
        };
        let nats_url = nats.as_ref().map_or_else(|| args.nats_url.clone(), |n| n.url.clone());
        let needs_service = args.mode != Mode::Ceiling;
        let service = match args.spawn_service && needs_service {
            true => Some(ServiceProcess::start(args, &nats_url).await?),
            false => None,
        };
        let service_url = service.as_ref().map_or_else(|| args.service_url.clone(), |s| s.url.clone());
        let port = service_url.rsplit(':').next().and_then(|p| p.trim_end_matches('/').parse().ok());
        let service_pid = args
            .service_pid
            .or(service.as_ref().map(ServiceProcess::pid))
            .or_else(|| needs_service.then(|| procstat::find_by_name("order-service", port)).flatten());
        let nats_pid = nats.as_ref().map(NatsProcess::pid).or_else(|| procstat::find_by_name("nats-server", None));
        if needs_service && service_pid.is_none() {
            eprintln!("loadgen: order-service process not found; no service CPU/RSS (use --service-pid)");
        }
        let monitor = nats.as_ref().map_or(Some(args.nats_monitor_url.clone()), |n| n.monitor_url.clone());
        // Leaked once per process: `Watched` is `Copy` and lives for the run.
        let monitor = monitor.map(|url| &*Box::leak(url.into_boxed_str()));
        let watched = Watched { service: service_pid, nats: nats_pid, monitor };
        Ok(Self { nats_url, service_url, watched, service, _nats: nats })
    }

    /// Stops a spawned service (before the ceiling, so it competes with nothing).
    async fn stop_service(&mut self) {
        if let Some(service) = self.service.take() {
            service.stop().await;
            self.watched.service = None;
        }
    }
}

/// The `--json` document.
#[derive(Debug, Serialize)]
struct Document<'a> {
    machine: Machine,
    mode: String,
    nats_sync: String,
    arguments: Vec<String>,
    /// /proc/loadavg when the run started and ended: other work on the machine.
    load_average: [String; 2],
    results: &'a [ScenarioResult],
    ratio_service_to_ceiling: Option<f64>,
    memory: Option<&'a MemoryFigures>,
    problems: &'a [String],
}

#[derive(Debug, Serialize)]
struct Machine {
    nproc: usize,
    cpu_model: String,
    mem_total_kib: u64,
}

fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let value = |text: &str, key: &str| {
        text.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split(':').nth(1))
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    Machine {
        nproc: std::thread::available_parallelism().map_or(0, usize::from),
        cpu_model: value(&cpuinfo, "model name"),
        mem_total_kib: value(&meminfo, "MemTotal").trim_end_matches("kB").trim().parse().unwrap_or_default(),
    }
}

/// Runs everything `args` asks for; returns the problems found.
pub(crate) async fn run(args: Args) -> anyhow::Result<Vec<String>> {
    let load_at_start = load_average();
    let mut env = Env::set_up(&args).await?;
    let mix = Arc::new(Mix::new(&args));
    let mut results = Vec::new();
    let mut memory_figures = None;
    let c = args.concurrency;
    if matches!(args.mode, Mode::Closed | Mode::Both | Mode::Suite) {
        results.push(service_runs(&args, &env, &mix, Load::Closed, format!("service closed c={c}")).await?);
    }
    if args.mode == Mode::Suite {
        // The flash sale in closed loop: every order on one SKU.
        let hot = Args { skus: 1, ..args.clone() };
        let hot_mix = Arc::new(Mix::new(&hot));
        results.push(service_runs(&hot, &env, &hot_mix, Load::Closed, format!("closed 1 SKU c={c}")).await?);
    }
    if matches!(args.mode, Mode::Spike | Mode::Suite) {
        let spike = spike_args(&args);
        let name = format!("spike {} on {} SKU", spike.orders.unwrap_or_default(), spike.skus);
        results.push(service_runs(&spike, &env, &Arc::new(Mix::new(&spike)), Load::Closed, name).await?);
    }
    if matches!(args.mode, Mode::Open | Mode::Suite) {
        let name = format!("service open {}/s", args.rate);
        results.push(service_runs(&args, &env, &mix, Load::Open(args.rate), name).await?);
    }
    if args.mode == Mode::Memory {
        memory_figures = Some(memory::run(&args, &env, &mix).await?);
    }
    if matches!(args.mode, Mode::Ceiling | Mode::Both | Mode::Suite) {
        env.stop_service().await;
        let mut runs = Vec::new();
        for i in 0..args.runs {
            eprintln!("loadgen: ceiling c={c}, run {}/{}", i + 1, args.runs);
            let mix = Arc::new(mix.for_run(&format!("ceiling{i}")));
            runs.push(ceiling::run(&args, &env.nats_url, mix, env.watched).await?);
        }
        results.push(ScenarioResult::new(format!("raw ceiling c={c}"), runs));
    }
    let ratio = ratio(&results);
    report::print_table(&results, ratio);
    print_flash_ratios(&results);
    if let Some(m) = &memory_figures {
        memory::print(m);
    }
    let mut problems: Vec<String> =
        results.iter().flat_map(|r| r.median.problems().into_iter().map(move |p| format!("{}: {p}", r.name))).collect();
    problems.extend(memory_figures.iter().flat_map(|m| m.problems()));
    if let Some(path) = &args.json {
        let document = Document {
            machine: machine(),
            mode: format!("{:?}", args.mode).to_lowercase(),
            nats_sync: args.nats_sync.to_string(),
            arguments: std::env::args().skip(1).collect(),
            load_average: [load_at_start, load_average()],
            results: &results,
            ratio_service_to_ceiling: ratio,
            memory: memory_figures.as_ref(),
            problems: &problems,
        };
        let json = serde_json::to_vec_pretty(&document).context("encode results")?;
        std::fs::write(path, json).with_context(|| format!("write {}", path.display()))?;
    }
    Ok(problems)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim().to_string()
}

/// The spike: `--orders` (the suite: `--spike-orders` on one SKU) accepted
/// with no backlog cap and no warm-up, measured until the last one ends.
fn spike_args(args: &Args) -> Args {
    let suite = args.mode == Mode::Suite;
    Args {
        orders: if suite { Some(args.spike_orders) } else { args.orders },
        skus: if suite { 1 } else { args.skus },
        warmup: 0.0,
        max_backlog: 0,
        ..args.clone()
    }
}

/// The flash-sale ratios, each against the spread closed loop of this run.
fn print_flash_ratios(results: &[ScenarioResult]) {
    let rate = |prefix: &str| results.iter().find(|r| r.name.starts_with(prefix)).map(|r| r.median.completed_per_sec);
    let Some(spread) = rate("service closed").filter(|r| *r > 0.0) else { return };
    if let Some(hot) = rate("closed 1 SKU") {
        println!("one SKU / spread closed loop (completed orders/s): {:.1}%", hot / spread * 100.0);
    }
    if let Some(drain) = rate("spike") {
        println!("spike drain / spread closed loop (completed orders/s): {:.1}%", drain / spread * 100.0);
    }
}

/// Completed orders/s of the service's closed loop over the ceiling's.
fn ratio(results: &[ScenarioResult]) -> Option<f64> {
    let service = results.iter().find(|r| r.name.starts_with("service closed"))?;
    let ceiling = results.iter().find(|r| r.name.starts_with("raw ceiling"))?;
    (ceiling.median.completed_per_sec > 0.0)
        .then(|| service.median.completed_per_sec / ceiling.median.completed_per_sec)
}

/// Sets stock once, then runs the scenario `--runs` times against the service.
async fn service_runs(
    args: &Args,
    env: &Env,
    mix: &Arc<Mix>,
    load: Load,
    name: String,
) -> anyhow::Result<ScenarioResult> {
    let target = Arc::new(Target::new(&env.service_url, args.concurrency)?);
    target.wait_ready(std::time::Duration::from_secs(30)).await?;
    target.stock(mix).await?;
    let mut runs: Vec<RunFigures> = Vec::new();
    for i in 0..args.runs {
        eprintln!("loadgen: {name}, run {}/{}", i + 1, args.runs);
        let observer = Observer::start(&env.nats_url).await?;
        let mix = Arc::new(mix.for_run(&format!("{name}-{i}").replace([' ', '/', '='], "")));
        let figures = scenario::drive(args, mix, target.clone(), observer.tally.clone(), load, env.watched).await;
        observer.stop();
        let open = matches!(load, Load::Open(_));
        if let Some(summary) = report::slow_summary(&figures).filter(|_| open) {
            eprintln!("loadgen: {name}, run {}: {summary}", i + 1);
        }
        runs.push(figures);
    }
    Ok(ScenarioResult::new(name, runs))
}
