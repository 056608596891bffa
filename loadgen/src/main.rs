//! `loadgen`: load generator and raw-JetStream ceiling for order-service
//! (BENCHMARKS.md, `make bench`).
//!
//! ```text
//! suite     what to run (--mode), environment (--spawn-nats/--spawn-service)
//!  ├─ scenario   warm-up → measurement window → drain, for any Placer
//!  │   ├─ load       closed loop (N connections) / open loop (fixed rate)
//!  │   ├─ target     the service over HTTP        ─┐ Placer
//!  │   └─ ceiling    the same JetStream work, raw ─┘ (+ its own saga consumer)
//!  ├─ observer  ORDER.created → terminal latency from stream timestamps (tally)
//!  ├─ memory    RSS per in-flight order with slow payments
//!  ├─ procstat  CPU and RSS of the service, nats-server and loadgen
//!  ├─ broker    JetStream round trips per order from the broker's counters
//!  └─ report    HdrHistogram percentiles, medians over --runs, table, --json
//! ```
//! Exit codes: 0 all accepted orders finished with the expected outcomes
//! and no errors; 1 loadgen could not run; 2 bad arguments; 3 the run
//! finished with problems (listed on stderr and in the JSON).

mod broker;
mod ceiling;
mod cli;
mod load;
mod memory;
mod mix;
mod observer;
mod procstat;
mod report;
mod scenario;
mod spawn;
mod suite;
mod tally;
mod target;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    if let Err(e) = args.validate() {
        eprintln!("loadgen: {e}");
        return ExitCode::from(2);
    }
    // reqwest is built without a default TLS provider (see Cargo.toml).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(args.threads).enable_all().build();
    let outcome = match runtime {
        Ok(runtime) => runtime.block_on(suite::run(args)),
        Err(e) => Err(anyhow::Error::new(e).context("start the tokio runtime")),
    };
    match outcome {
        Ok(problems) if problems.is_empty() => ExitCode::SUCCESS,
        Ok(problems) => {
            for problem in problems {
                eprintln!("loadgen: FAILED: {problem}");
            }
            ExitCode::from(3)
        }
        Err(e) => {
            eprintln!("loadgen: {e:#}");
            ExitCode::FAILURE
        }
    }
}
