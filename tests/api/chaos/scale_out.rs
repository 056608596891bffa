//! Scale-out: three service replicas share the work of one
//! durable consumer on a 3-node nats-server cluster (R3 stream and
//! buckets), each replica connected first to a different node. While
//! orders flow through all replicas, one replica is SIGKILLed for good and
//! the node leading the `ORDERS` stream is SIGKILLed; the surviving
//! replicas finish everything without operator action.

use std::time::Duration;

use super::harness::{World, bounded, service_env, set_up, start_load};
use super::invariants::Expectations;
use super::load::LoadPlan;
use super::service;
use support::nats::NatsCluster;
use support::service::ServiceProcess;

#[actix_web::test]
async fn three_replicas_on_a_cluster_lose_no_order_when_a_replica_and_the_stream_leader_die() {
    bounded("scale-out", run()).await;
}

/// The cluster's URLs rotated so replica `i` connects to node `i` first.
fn rotated(urls: &str, i: usize) -> String {
    let mut all: Vec<&str> = urls.split(',').collect();
    let n = all.len();
    all.rotate_left(i % n);
    all.join(",")
}

async fn run() {
    let (mut scenario, mut nats, provider) = set_up("scale-out", NatsCluster::three()).await;
    let mut replicas = Vec::new();
    for i in 0..3 {
        let mut env = service_env(&rotated(&nats.urls(), i), &provider.url);
        env.push(("NATS_REPLICAS", "3".to_string()));
        replicas.push(service::start(&format!("replica-{i}"), &env).await);
    }
    let all: Vec<&ServiceProcess> = replicas.iter().collect();
    let (api, load) = start_load("scale-out", &all, LoadPlan::steady(Duration::from_secs(12)), 10).await;

    replicas[2].kill();
    scenario.fault("SIGKILL replica-2 (stays down)");
    let leader = nats.wait_stream_healthy("ORDERS", None).await;
    nats.node(&leader).stop();
    scenario.fault(&format!("SIGKILL {leader}, the ORDERS stream leader (stays down)"));
    let successor = nats.wait_stream_healthy("ORDERS", Some(&leader)).await;
    scenario.note(&format!("ORDERS leader is now {successor}"));
    let report = load.finish().await;

    let survivors: Vec<&ServiceProcess> = replicas.iter().filter(|r| r.is_running()).collect();
    let world = World { api: &api, nats_urls: nats.running_urls(), provider: &provider, services: survivors };
    scenario.finish(world, report, Expectations::default()).await;
}
