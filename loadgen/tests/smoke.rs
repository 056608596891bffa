//! The load generator keeps working: short closed- and open-loop runs of the real
//! `loadgen` binary against a test nats-server and the real service binary,
//! asserting from its `--json` output that every order it sent reached the
//! terminal status its mix planned (COMPLETED, OUT_OF_STOCK or
//! PAYMENT_DECLINED). Not a benchmark: nothing here is timed.

use serde_json::Value;
use std::time::Duration;

use order_service_test_support::nats::NatsServer;
use order_service_test_support::service::{ServiceOptions, ServiceProcess};

/// The service binary, built beside loadgen by the same `cargo test` of
/// the workspace (the binaries of another package have no `CARGO_BIN_EXE_`).
fn service_bin() -> std::path::PathBuf {
    let loadgen = std::path::Path::new(env!("CARGO_BIN_EXE_loadgen"));
    let bin = loadgen.with_file_name(format!("order-service{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "{} missing: run `cargo test` for the workspace (it builds the service)", bin.display());
    bin
}

async fn start_service<V: AsRef<str>>(env: &[(&str, V)]) -> ServiceProcess {
    ServiceProcess::start(ServiceOptions::new("order-service", service_bin(), env)).await
}

const ORDERS: u64 = 300;

#[tokio::test]
async fn loadgen_sends_a_few_hundred_orders_and_sees_every_one_finish() {
    let nats = NatsServer::start().await;
    let service = start_service(&[("NATS_URL", nats.url()), ("RUST_LOG", "warn")]).await;

    let document = run_loadgen(&nats, &service, &["--mode", "closed", "--orders", &ORDERS.to_string()]).await;

    let run = &document["results"][0]["median"];
    assert_eq!(run["accepted_total"], ORDERS, "every order accepted: {run}");
    assert_every_accepted_order_finished_as_planned(run);
    assert_eq!(run["e2e_ms"]["count"], ORDERS, "end-to-end latency of every order");
    assert!(run["accept_ms"]["p99"].as_f64() > Some(0.0), "accept latency recorded");
    assert!(run["service"]["rss_peak_kib"].as_u64() > Some(0), "service process found and measured: {run}");
}

/// The open loop is paced by its own thread; every slot's lateness is
/// recorded next to the accept latency it is part of.
#[tokio::test]
async fn the_open_loop_sends_at_its_rate_and_records_its_own_lateness() {
    let nats = NatsServer::start().await;
    let service = start_service(&[("NATS_URL", nats.url()), ("RUST_LOG", "warn")]).await;

    let document = run_loadgen(&nats, &service, &["--mode", "open", "--rate", "200", "--duration", "1.5"]).await;

    let run = &document["results"][0]["median"];
    assert_eq!(run["accepted_total"], ORDERS, "200/s for 1.5 s: {run}");
    assert_every_accepted_order_finished_as_planned(run);
    assert_eq!(run["accept_ms"]["count"], ORDERS, "accept latency of every slot: {run}");
    assert_eq!(run["send_late_ms"]["count"], ORDERS, "lateness of every slot: {run}");
    let late_max = run["send_late_ms"]["max"].as_f64().expect("lateness max");
    assert!(late_max <= run["accept_ms"]["max"].as_f64().expect("accept max"), "lateness is part of accept: {run}");
}

/// Runs the real `loadgen` binary with the smoke mix and `args`; returns
/// its `--json` document after checking it reported no problems.
async fn run_loadgen(nats: &NatsServer, service: &ServiceProcess, args: &[&str]) -> Value {
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("loadgen.json");
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(args)
        .args(["--service-url", &service.address, "--nats-url", nats.url()])
        .args(["--concurrency", "16", "--warmup", "0", "--drain-timeout", "15"])
        .args(["--skus", "5", "--out-of-stock-share", "0.1", "--decline-share", "0.1", "--threads", "1"])
        .arg("--json")
        .arg(&json)
        .kill_on_drop(true)
        .output();
    let output =
        tokio::time::timeout(Duration::from_secs(60), run).await.expect("loadgen finished").expect("run loadgen");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "loadgen exited with {}:\n{stdout}\n{stderr}", output.status);
    let document: Value = serde_json::from_slice(&std::fs::read(&json).expect("--json file written")).expect("JSON");
    assert_eq!(document["problems"].as_array().map(Vec::len), Some(0), "problems in {document}");
    document
}

fn assert_every_accepted_order_finished_as_planned(run: &Value) {
    assert_eq!(run["terminal_total"], run["accepted_total"], "every order finished: {run}");
    assert_eq!(run["unfinished"], 0);
    assert_eq!(run["outcomes"], run["expected"], "outcomes match the planned mix");
    for outcome in ["completed", "out_of_stock", "payment_declined"] {
        assert!(run["outcomes"][outcome].as_u64() > Some(0), "no {outcome} orders in {run}");
    }
}

/// The flash sale: a spike of orders on one SKU, accepted without a
/// backlog cap, reports its drain rate and the JetStream round trips per
/// order read from the broker's own counters (loadgen starts the broker
/// with monitoring, and the service).
#[tokio::test]
async fn a_spike_on_one_sku_drains_and_counts_round_trips_at_the_broker() {
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("loadgen.json");
    let nats_bin = std::env::var("NATS_SERVER_BIN").expect("NATS_SERVER_BIN");
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(["--mode", "spike", "--orders", &ORDERS.to_string(), "--skus", "1", "--concurrency", "16"])
        .args(["--spawn-nats", "--spawn-service", "--nats-server-bin", &nats_bin])
        .args(["--service-bin", &service_bin().to_string_lossy(), "--drain-timeout", "15", "--threads", "1"])
        .args(["--out-of-stock-share", "0.1", "--decline-share", "0.1", "--json"])
        .arg(&json)
        .kill_on_drop(true)
        .output();
    let output =
        tokio::time::timeout(Duration::from_secs(60), run).await.expect("loadgen finished").expect("run loadgen");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "loadgen exited with {}:\n{stderr}", output.status);
    let document: Value = serde_json::from_slice(&std::fs::read(&json).expect("--json file written")).expect("JSON");

    let run = &document["results"][0]["median"];
    assert_eq!(run["accepted_total"], ORDERS, "every order accepted: {run}");
    assert_every_accepted_order_finished_as_planned(run);
    assert!(run["completed_per_sec"].as_f64() > Some(0.0), "drain rate reported: {run}");
    let round_trips = run["js_per_order"].as_f64().expect("round trips read from the broker");
    assert!((4.0..40.0).contains(&round_trips), "{round_trips} messages per order");
}
