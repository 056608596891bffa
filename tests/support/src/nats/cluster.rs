//! `NatsCluster`: one nats-server, or three clustered ones, that a test
//! can stop (SIGTERM or SIGKILL) and start again on the same ports with
//! the same stores. Every node is a `NatsServer` with a configuration file
//! naming it (`n1`, `n2`, ...) and, in a cluster, its route port and the
//! routes to the others, all on 127.0.0.1.
//!
//! Ready means: JetStream answers an account-info request through every
//! running node, which in a cluster also needs an elected meta leader.
//! Waits poll; they never sleep a fixed time. A test that panics while the
//! cluster is alive prints the tail of every node's log.

use std::time::{Duration, Instant};

use async_nats::jetstream;

use super::server::{NatsOptions, NatsServer};
use crate::process::free_port;

const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// The nats-server nodes of one test.
#[derive(Debug)]
pub struct NatsCluster {
    pub nodes: Vec<NatsServer>,
}

impl NatsCluster {
    /// One JetStream server.
    pub async fn single() -> Self {
        Self::start(1).await
    }

    /// Three clustered JetStream servers (R3 needs all three at creation).
    pub async fn three() -> Self {
        Self::start(3).await
    }

    async fn start(size: usize) -> Self {
        let ports: Vec<(u16, u16)> = (0..size).map(|_| (free_port(), free_port())).collect();
        let routes: Vec<String> =
            ports.iter().map(|(_, route)| format!("\"nats-route://127.0.0.1:{route}\"")).collect();
        let mut nodes = Vec::new();
        for (i, (client, route)) in ports.iter().enumerate() {
            let name = format!("n{}", i + 1);
            let mut config = format!("server_name: \"{name}\"\n");
            if size > 1 {
                config += &format!(
                    "cluster {{\n  name: \"test\"\n  listen: \"127.0.0.1:{route}\"\n  routes: [{}]\n}}\n",
                    routes.join(", ")
                );
            }
            let options = NatsOptions { name, config: Some(config), port: Some(*client), env: Vec::new() };
            nodes.push(NatsServer::spawn_in(tempfile::tempdir().expect("temp dir for nats-server"), options).await);
        }
        let mut cluster = Self { nodes };
        cluster.wait_ready().await;
        cluster
    }

    /// Every node's URL, comma-separated (the service's `NATS_URL`).
    pub fn urls(&self) -> String {
        self.nodes.iter().map(NatsServer::url).collect::<Vec<_>>().join(",")
    }

    /// The running nodes' URLs, comma-separated.
    pub fn running_urls(&self) -> String {
        self.nodes.iter().filter(|n| n.is_running()).map(NatsServer::url).collect::<Vec<_>>().join(",")
    }

    pub fn node(&mut self, name: &str) -> &mut NatsServer {
        self.nodes.iter_mut().find(|n| n.name() == name).unwrap_or_else(|| panic!("no nats node {name}"))
    }

    /// Starts a stopped node again (same port, same store) and waits.
    pub async fn restart(&mut self, name: &str) {
        self.node(name).start_again().await;
        self.wait_ready().await;
    }

    /// Waits until JetStream answers through every running node.
    pub async fn wait_ready(&mut self) {
        for node in self.nodes.iter_mut().filter(|n| n.is_running()) {
            node.wait_until("answers JetStream", |url| async move { jetstream_answers(&url).await }).await;
        }
    }

    /// The stream's info through any running node (None if none answers).
    pub async fn stream_info(&self, stream: &str) -> Option<jetstream::stream::Info> {
        let urls: Vec<String> = self.running_urls().split(',').map(String::from).collect();
        let connect = async_nats::ConnectOptions::new().connection_timeout(Duration::from_secs(1)).connect(urls);
        let client = tokio::time::timeout(Duration::from_secs(3), connect).await.ok()?.ok()?;
        let mut js = jetstream::new(client);
        js.set_timeout(Duration::from_secs(2));
        let mut handle = js.get_stream(stream).await.ok()?;
        handle.info().await.ok().cloned()
    }

    /// Waits until `stream` has a leader other than `not` with every
    /// running node as a current replica; returns the leader's name.
    pub async fn wait_stream_healthy(&self, stream: &str, not: Option<&str>) -> String {
        let running = self.nodes.iter().filter(|n| n.is_running()).count();
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(cluster) = self.stream_info(stream).await.and_then(|i| i.cluster) {
                let current = cluster.replicas.iter().filter(|r| r.current && !r.offline).count() + 1;
                match cluster.leader {
                    Some(leader) if Some(leader.as_str()) != not && current >= running => return leader,
                    _ => {}
                }
            }
            assert!(Instant::now() < deadline, "{stream} not healthy in {READY_TIMEOUT:?}\n{}", self.logs());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The tail of every node's log.
    pub fn logs(&self) -> String {
        self.nodes.iter().map(|n| format!("---- {} ----\n{}\n", n.name(), n.log_tail(40))).collect()
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.logs());
        }
    }
}

async fn jetstream_answers(url: &str) -> bool {
    let connect = async_nats::ConnectOptions::new().connection_timeout(Duration::from_secs(1)).connect(url);
    let Ok(Ok(client)) = tokio::time::timeout(Duration::from_secs(2), connect).await else {
        return false;
    };
    let mut js = jetstream::new(client);
    js.set_timeout(Duration::from_secs(1));
    js.query_account().await.is_ok()
}
