//! Scenario 5: two service instances share the work. One is frozen with
//! SIGSTOP for longer than ack_wait while orders flow, so JetStream hands
//! its unacknowledged deliveries to the other, which finishes them; then
//! it gets SIGCONT and carries on with its stale work. The KV payment
//! claim and the provider's Idempotency-Key must keep that late work from
//! charging twice, and the compare-and-set order record from publishing a
//! second terminal event. The second instance is then frozen the same way.

use std::time::Duration;

use super::harness::{ACK_WAIT_SECS, World, bounded, service_env, set_up, start_load};
use super::invariants::Expectations;
use super::load::LoadPlan;
use super::service;
use support::nats::NatsCluster;
use support::provider::FaultPlan;

#[actix_web::test]
async fn a_paused_instance_resuming_after_ack_wait_neither_charges_twice_nor_ends_an_order_twice() {
    bounded("paused_instance", run()).await;
}

async fn run() {
    let (mut scenario, nats, provider) = set_up("paused_instance", NatsCluster::single()).await;
    // A slow provider keeps payments in flight, so a pause catches some.
    provider.script(FaultPlan { latency: Duration::from_millis(150), ..FaultPlan::default() });
    let env = service_env(&nats.urls(), &provider.url);
    let first = service::start("order-service-1", &env).await;
    let second = service::start("order-service-2", &env).await;
    let (api, load) = start_load("pause", &[&first, &second], LoadPlan::steady(Duration::from_secs(13)), 10).await;

    // Longer than ack_wait (redelivery) and than the payment claim's lease
    // (2 × PAYMENT_TIMEOUT_MS + 5 s): the other instance may take over a
    // claim the frozen one still holds, and both then call the provider.
    let pause = Duration::from_secs(7);
    for (paused, other) in [(&first, &second), (&second, &first)] {
        let before = other.metric("order_service_redeliveries_total").await.unwrap_or(0.0);
        let busy = || async { paused.deliveries_in_flight().await.is_some_and(|n| n >= 2).then_some(()) };
        crate::helpers::eventually(busy, Duration::from_secs(10)).await;
        paused.pause();
        scenario.fault(&format!("SIGSTOP one instance for {pause:?} (ack_wait {ACK_WAIT_SECS} s)"));
        tokio::time::sleep(pause).await;
        let after = other.metric("order_service_redeliveries_total").await.unwrap_or(0.0);
        paused.resume();
        scenario.note(&format!("SIGCONT; the other instance took {} redeliveries meanwhile", after - before));
        assert!(after > before, "the running instance took over the paused one's deliveries");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let report = load.finish().await;

    let world = World { api: &api, nats_urls: nats.urls(), provider: &provider, services: vec![&first, &second] };
    scenario.finish(world, report, Expectations::default()).await;
}
