//! The load generator keeps working: a short closed-loop run of the real
//! `loadgen` binary against a test nats-server and the real service binary,
//! asserting from its `--json` output that every order it sent reached the
//! terminal status its mix planned (COMPLETED, OUT_OF_STOCK or
//! PAYMENT_DECLINED). Not a benchmark: nothing here is timed.

use serde_json::Value;
use std::time::Duration;

use crate::nats::NatsServer;
use crate::service_process::ServiceProcess;

const ORDERS: u64 = 300;

#[tokio::test]
async fn loadgen_sends_a_few_hundred_orders_and_sees_every_one_finish() {
    let nats = NatsServer::start().await;
    let service = ServiceProcess::start(&[("NATS_URL", nats.url()), ("RUST_LOG", "warn")]).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("loadgen.json");
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(["--mode", "closed", "--service-url", &service.address, "--nats-url", nats.url()])
        .args(["--orders", &ORDERS.to_string(), "--concurrency", "16", "--warmup", "0", "--drain-timeout", "15"])
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
    let run = &document["results"][0]["median"];
    assert_eq!(run["accepted_total"], ORDERS, "every order accepted: {run}");
    assert_eq!(run["terminal_total"], ORDERS, "every order finished: {run}");
    assert_eq!(run["unfinished"], 0);
    assert_eq!(run["outcomes"], run["expected"], "outcomes match the planned mix");
    for outcome in ["completed", "out_of_stock", "payment_declined"] {
        assert!(run["outcomes"][outcome].as_u64() > Some(0), "no {outcome} orders in {run}");
    }
    assert_eq!(run["e2e_ms"]["count"], ORDERS, "end-to-end latency of every order");
    assert!(run["accept_ms"]["p99"].as_f64() > Some(0.0), "accept latency recorded");
    assert!(run["service"]["rss_peak_kib"].as_u64() > Some(0), "service process found and measured: {run}");
}
