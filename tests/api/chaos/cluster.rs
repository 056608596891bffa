//! Scenario 3: a 3-node nats-server cluster on 127.0.0.1 with every stream
//! and bucket at 3 replicas (`NATS_REPLICAS=3`, `NATS_URL` naming all three
//! nodes). While orders flow, the node leading the `ORDERS` stream is
//! SIGKILLed; once a new leader is elected (polled through the JetStream
//! API) the node comes back, catches up, and then a follower is killed
//! and stays down: the cluster keeps its quorum throughout.

use std::time::Duration;

use super::harness::{World, bounded, service_env, set_up, start_load};
use super::invariants::Expectations;
use super::load::LoadPlan;
use super::service;
use support::nats::NatsCluster;

#[actix_web::test]
async fn every_accepted_order_ends_once_when_nats_cluster_nodes_and_the_stream_leader_die() {
    bounded("cluster", run()).await;
}

async fn run() {
    let (mut scenario, mut nats, provider) = set_up("cluster", NatsCluster::three()).await;
    let mut env = service_env(&nats.urls(), &provider.url);
    env.push(("NATS_REPLICAS", "3".to_string()));
    let service = service::start("order-service", &env).await;
    let (api, load) = start_load("cluster", &[&service], LoadPlan::steady(Duration::from_secs(12)), 5).await;

    let leader = nats.wait_stream_healthy("ORDERS", None).await;
    nats.node(&leader).stop();
    scenario.fault(&format!("SIGKILL {leader}, the ORDERS stream leader"));
    let successor = nats.wait_stream_healthy("ORDERS", Some(&leader)).await;
    scenario.note(&format!("ORDERS leader is now {successor}"));
    nats.restart(&leader).await;
    nats.wait_stream_healthy("ORDERS", None).await;
    scenario.note(&format!("{leader} is back and current"));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let current = nats.wait_stream_healthy("ORDERS", None).await;
    let follower = nats.nodes.iter().map(|n| n.name().to_string()).find(|n| *n != current).expect("a follower");
    nats.node(&follower).stop();
    scenario.fault(&format!("SIGKILL {follower}, an ORDERS follower (stays down)"));
    let report = load.finish().await;

    let world = World { api: &api, nats_urls: nats.running_urls(), provider: &provider, services: vec![&service] };
    scenario.finish(world, report, Expectations::default()).await;
}
