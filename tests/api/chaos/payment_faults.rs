//! Scenario 4: the payment provider misbehaves. Per call it may answer 503
//! before charging, 503 after charging, or charge and then hang past
//! `PAYMENT_TIMEOUT_MS`; `tok_decline` orders are declined (402). The
//! service reaches the provider through the fault proxy, which cycles
//! through jitter, a blackhole and cut connections. An unknown outcome
//! must be retried with the same Idempotency-Key, never turned into
//! FAILED, and the provider must hold exactly one charge per COMPLETED
//! order.

use std::time::{Duration, Instant};

use super::harness::{World, bounded, service_env, set_up, start_load};
use super::invariants::Expectations;
use super::load::LoadPlan;
use super::proxy::{FaultProxy, Mode};
use super::service;
use support::nats::NatsCluster;
use support::provider::FaultPlan;

const SUBMIT_FOR: Duration = Duration::from_secs(12);

#[actix_web::test]
async fn every_accepted_order_is_charged_once_when_the_payment_provider_fails_hangs_and_declines() {
    bounded("payment_faults", run()).await;
}

async fn run() {
    let (mut scenario, nats, provider) = set_up("payment_faults", NatsCluster::single()).await;
    provider.script(FaultPlan {
        fail_before: 0.15,
        fail_after: 0.15,
        hang: 0.10,
        hang_for: Duration::from_millis(1_200),
        latency: Duration::ZERO,
    });
    let proxy = FaultProxy::start(provider.address).await;
    let service = service::start("order-service", &service_env(&nats.urls(), &proxy.url("http"))).await;
    let started = Instant::now();
    let (api, load) = start_load("payment", &[&service], LoadPlan::steady(SUBMIT_FOR), 0).await;

    let cycle = [
        (Mode::Delay { base: Duration::from_millis(20), jitter: Duration::from_millis(200) }, "jitter 20-220 ms"),
        (Mode::Blackhole, "blackhole"),
        (Mode::Close, "connections cut"),
    ];
    for (mode, what) in cycle.iter().cycle() {
        if started.elapsed() > SUBMIT_FOR - Duration::from_secs(2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1_200)).await;
        proxy.set(*mode);
        scenario.fault(&format!("provider link: {what} for 800 ms"));
        tokio::time::sleep(Duration::from_millis(800)).await;
        proxy.set(Mode::Pass);
    }
    let report = load.finish().await;
    provider.script(FaultPlan::default());
    let (calls, provider_faults, _) = provider.figures();
    scenario.note(&format!("provider faults stop: {provider_faults} faults in {calls} calls"));
    scenario.faults += provider_faults;

    let world = World { api: &api, nats_urls: nats.urls(), provider: &provider, services: vec![&service] };
    scenario.finish(world, report, Expectations::default()).await;
    assert!(provider_faults > 0 && proxy.faults() > 0, "faults were injected");
}
