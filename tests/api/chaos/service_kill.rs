//! Scenario 1: the service is SIGKILLed at random moments while orders
//! flow (three times) and started again on the same port each time. The
//! clients keep retrying with the same Idempotency-Key; JetStream
//! redelivers what the dead process held. A slow provider (50 ms) makes
//! it likely that a kill lands mid-payment: the next attempt must wait for
//! the dead attempt's claim lease and then charge under the same key.

use std::time::Duration;

use rand::Rng;

use super::harness::{World, bounded, service_env, set_up, start_load};
use super::invariants::Expectations;
use super::load::LoadPlan;
use super::service;
use support::nats::NatsCluster;
use support::provider::FaultPlan;

const KILLS: usize = 3;

#[actix_web::test]
async fn every_accepted_order_ends_once_and_is_charged_once_when_the_service_is_killed_at_random() {
    bounded("service_kill", run()).await;
}

async fn run() {
    let (mut scenario, nats, provider) = set_up("service_kill", NatsCluster::single()).await;
    // A slow provider keeps payments in flight, so some kills hit one.
    provider.script(FaultPlan { latency: Duration::from_millis(50), ..FaultPlan::default() });
    let env = service_env(&nats.urls(), &provider.url);
    let mut service = service::start("order-service", &env).await;
    let (api, load) = start_load("kill", &[&service], LoadPlan::steady(Duration::from_secs(10)), 5).await;

    for _ in 0..KILLS {
        let (wait, down) = {
            let mut rng = rand::rng();
            (rng.random_range(500..2_500), rng.random_range(0..500))
        };
        tokio::time::sleep(Duration::from_millis(wait)).await;
        service.kill();
        scenario.fault(&format!("SIGKILL order-service after {} accepted", load.accepted()));
        tokio::time::sleep(Duration::from_millis(down)).await;
        service.restart().await;
        scenario.note("order-service started again");
    }
    let report = load.finish().await;

    let world = World { api: &api, nats_urls: nats.urls(), provider: &provider, services: vec![&service] };
    scenario.finish(world, report, Expectations::default()).await;
    assert_eq!(service.starts, KILLS + 1, "the service was restarted after each kill");
}
