//! `NatsCluster`: one nats-server, or three clustered ones, that a chaos
//! scenario can stop (SIGTERM or SIGKILL) and start again on the same
//! ports with the same store directories.
//!
//! Each node runs from a config file (`server_name`, client port,
//! JetStream store, and for a cluster the route port and the routes to
//! the other nodes), binary from `NATS_SERVER_BIN`, everything on
//! 127.0.0.1. Ready means: JetStream answers an account-info request
//! through every running node, which in a cluster also needs an elected
//! meta leader. Waits poll; they never sleep a fixed time.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use async_nats::jetstream;

use super::process::Proc;
use crate::service_process::free_port;

const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// One nats-server process and everything needed to start it again.
#[derive(Debug)]
pub(crate) struct NatsNode {
    pub(crate) name: String,
    port: u16,
    config: PathBuf,
    log: PathBuf,
    proc: Option<Proc>,
}

impl NatsNode {
    pub(crate) fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub(crate) fn is_running(&self) -> bool {
        self.proc.is_some()
    }

    fn start(&mut self) {
        assert!(self.proc.is_none(), "{} is already running", self.name);
        let mut command = Command::new(nats_server_bin());
        command.arg("-c").arg(&self.config).arg("-l").arg(&self.log);
        self.proc = Some(Proc::spawn(&self.name, command, &self.log));
    }

    /// SIGKILL: the store stays as the crash left it.
    pub(crate) fn kill(&mut self) {
        if let Some(mut proc) = self.proc.take() {
            proc.kill();
        }
    }

    /// SIGTERM: JetStream shuts down cleanly (nats-server then exits 1).
    pub(crate) async fn terminate(&mut self) {
        if let Some(mut proc) = self.proc.take() {
            proc.terminate(Duration::from_secs(10)).await;
        }
    }

    fn fail_if_exited(&mut self) {
        if let Some(status) = self.proc.as_mut().and_then(Proc::exited) {
            panic!("{} exited ({status}):\n{}", self.name, self.log_tail());
        }
    }

    fn log_tail(&self) -> String {
        super::process::log_tail(&self.log, 40)
    }
}

/// The nats-server nodes of one scenario.
#[derive(Debug)]
pub(crate) struct NatsCluster {
    pub(crate) nodes: Vec<NatsNode>,
    _dir: tempfile::TempDir,
}

impl NatsCluster {
    /// One JetStream server.
    pub(crate) async fn single() -> Self {
        Self::start(1).await
    }

    /// Three clustered JetStream servers (R3 needs all three at creation).
    pub(crate) async fn three() -> Self {
        Self::start(3).await
    }

    async fn start(size: usize) -> Self {
        let dir = tempfile::tempdir().expect("temp dir for nats-server");
        let ports: Vec<(u16, u16)> = (0..size).map(|_| (free_port(), free_port())).collect();
        let nodes = (0..size)
            .map(|i| {
                let name = format!("n{}", i + 1);
                let config = dir.path().join(format!("{name}.conf"));
                let store = dir.path().join(&name);
                let mut text = format!(
                    "server_name: \"{name}\"\nlisten: \"127.0.0.1:{}\"\njetstream {{ store_dir: \"{}\" }}\n",
                    ports[i].0,
                    store.display()
                );
                if size > 1 {
                    let routes: Vec<String> =
                        ports.iter().map(|(_, route)| format!("\"nats-route://127.0.0.1:{route}\"")).collect();
                    text += &format!(
                        "cluster {{\n  name: \"chaos\"\n  listen: \"127.0.0.1:{}\"\n  routes: [{}]\n}}\n",
                        ports[i].1,
                        routes.join(", ")
                    );
                }
                std::fs::write(&config, text).expect("write nats config");
                let log = dir.path().join(format!("{name}.log"));
                NatsNode { name, port: ports[i].0, config, log, proc: None }
            })
            .collect();
        let mut cluster = Self { nodes, _dir: dir };
        cluster.nodes.iter_mut().for_each(NatsNode::start);
        cluster.wait_ready().await;
        cluster
    }

    /// Every node's URL, comma-separated (the service's `NATS_URL`).
    pub(crate) fn urls(&self) -> String {
        self.nodes.iter().map(NatsNode::url).collect::<Vec<_>>().join(",")
    }

    pub(crate) fn node(&mut self, name: &str) -> &mut NatsNode {
        self.nodes.iter_mut().find(|n| n.name == name).unwrap_or_else(|| panic!("no nats node {name}"))
    }

    /// Starts a stopped node again (same port, same store) and waits.
    pub(crate) async fn restart(&mut self, name: &str) {
        self.node(name).start();
        self.wait_ready().await;
    }

    /// Waits until JetStream answers through every running node.
    pub(crate) async fn wait_ready(&mut self) {
        let deadline = Instant::now() + READY_TIMEOUT;
        for i in 0..self.nodes.len() {
            if !self.nodes[i].is_running() {
                continue;
            }
            loop {
                if jetstream_answers(&self.nodes[i].url()).await {
                    break;
                }
                self.nodes[i].fail_if_exited();
                assert!(Instant::now() < deadline, "nats not ready in {READY_TIMEOUT:?}\n{}", self.logs());
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    /// The stream's info through any running node (None if none answers).
    pub(crate) async fn stream_info(&self, stream: &str) -> Option<jetstream::stream::Info> {
        let urls: Vec<String> = self.nodes.iter().filter(|n| n.is_running()).map(NatsNode::url).collect();
        let connect = async_nats::ConnectOptions::new().connection_timeout(Duration::from_secs(1)).connect(urls);
        let client = tokio::time::timeout(Duration::from_secs(3), connect).await.ok()?.ok()?;
        let mut js = jetstream::new(client);
        js.set_timeout(Duration::from_secs(2));
        let mut handle = js.get_stream(stream).await.ok()?;
        handle.info().await.ok().cloned()
    }

    /// Waits until `stream` has a leader other than `not` with every
    /// running node as a current replica; returns the leader's name.
    pub(crate) async fn wait_stream_healthy(&self, stream: &str, not: Option<&str>) -> String {
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
    pub(crate) fn logs(&self) -> String {
        self.nodes.iter().map(|n| format!("---- {} ----\n{}\n", n.name, n.log_tail())).collect()
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.logs());
        }
    }
}

fn nats_server_bin() -> PathBuf {
    let bin = std::env::var_os("NATS_SERVER_BIN");
    PathBuf::from(bin.expect("NATS_SERVER_BIN must point at a nats-server >= 2.10 (`make tools`)"))
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
