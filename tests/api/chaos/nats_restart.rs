//! Scenario 2: nats-server stops and starts again mid-run on the same port
//! and store, once with SIGTERM (clean shutdown) and once with SIGKILL
//! (crash); in between, the service's NATS connections go through the
//! fault proxy, which adds jitter for a while and then cuts every
//! connection at once. Clients get 503 while NATS is away and retry with
//! the same key; sagas pause and resume on reconnect.

use std::time::Duration;

use super::harness::{Scenario, World, bounded, service_env, set_up, start_load};
use super::invariants::Expectations;
use super::load::LoadPlan;
use super::proxy::{FaultProxy, Mode};
use super::service;
use support::nats::NatsCluster;
use support::service::ServiceProcess;

#[actix_web::test]
async fn every_accepted_order_ends_once_when_nats_server_stops_and_restarts_mid_run() {
    bounded("nats_restart", run()).await;
}

async fn run() {
    let (mut scenario, mut nats, provider) = set_up("nats_restart", NatsCluster::single()).await;
    let nats_address = nats.urls().trim_start_matches("nats://").parse().expect("nats socket address");
    let proxy = FaultProxy::start(nats_address).await;
    let env = service_env(&proxy.url("nats"), &provider.url);
    let service = service::start("order-service", &env).await;
    let (api, load) = start_load("nats", &[&service], LoadPlan::steady(Duration::from_secs(16)), 5).await;

    outage(&mut scenario, &mut nats, &service, "TERM", Duration::from_secs(1)).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    proxy.set(Mode::Delay { base: Duration::from_millis(5), jitter: Duration::from_millis(40) });
    scenario.fault("5-45 ms jitter on every NATS connection for 1.5 s");
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    proxy.set(Mode::Close);
    scenario.fault("every NATS connection cut for 300 ms");
    tokio::time::sleep(Duration::from_millis(300)).await;
    proxy.set(Mode::Pass);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    outage(&mut scenario, &mut nats, &service, "KILL", Duration::from_secs(4)).await;
    let report = load.finish().await;

    let world = World { api: &api, nats_urls: nats.urls(), provider: &provider, services: vec![&service] };
    scenario.finish(world, report, Expectations::default()).await;
    assert!(proxy.connections() > 1, "the service reconnected through the proxy");
}

/// Stops nats-server with `signal`, keeps it down for `down` (a short
/// outage is bridged by the client's reconnect buffer, a longer one gets
/// clients 503s), starts it again and waits until the service is ready.
async fn outage(
    scenario: &mut Scenario,
    nats: &mut NatsCluster,
    service: &ServiceProcess,
    signal: &str,
    down: Duration,
) {
    let node = nats.node("n1");
    match signal {
        "TERM" => node.terminate(Duration::from_secs(10)).await,
        _ => node.stop(),
    }
    scenario.fault(&format!("SIG{signal} nats-server, down for {down:?}"));
    tokio::time::sleep(down).await;
    nats.restart("n1").await;
    scenario.note("nats-server started again");
    service.wait_ready(Duration::from_secs(15)).await;
    scenario.note("order-service ready again");
}
