//! `NatsServer`: one nats-server process with JetStream, owned by a test.
//!
//! It runs the binary named by `NATS_SERVER_BIN` in its own temporary
//! directory: `nats-server [-c <dir>/nats.conf] -a 127.0.0.1 -p <port> -js
//! -sd <dir>/store --ports_file_dir <dir> -l <dir>/nats.log`. With no port
//! given it takes a random one and learns its URL from the ports file
//! (failing fast if the child exits, printing the log on timeout). `start`
//! is ready once a client can connect and flush; `wait_until` polls any
//! other readiness check. A configuration file (accounts, TLS, cluster)
//! adds to the flags, which win where both speak. `stop` kills (SIGKILL),
//! `terminate` sends SIGTERM (nats-server then exits 1), `restart` comes
//! back on the same port with the same store. Dropping it kills and reaps
//! the process, ignoring errors.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::process::{Proc, log_tail};

const START_TIMEOUT: Duration = Duration::from_secs(20);
/// The optional configuration file in the server's directory.
const CONFIG_FILE: &str = "nats.conf";
const LOG_FILE: &str = "nats.log";

/// How to run one server; `Default` is a plain JetStream server.
#[derive(Debug, Clone, Default)]
pub struct NatsOptions {
    /// A name for messages and logs (`nats-server` when empty).
    pub name: String,
    /// Text of the configuration file passed with `-c`.
    pub config: Option<String>,
    /// The client port; `None` picks a random one.
    pub port: Option<u16>,
    /// Environment the configuration file reads (`$VAR`).
    pub env: Vec<(String, String)>,
}

/// One nats-server process and what is needed to start it again.
#[derive(Debug)]
pub struct NatsServer {
    options: NatsOptions,
    url: String,
    proc: Option<Proc>,
    dir: tempfile::TempDir,
}

impl NatsServer {
    /// A plain JetStream server on a random port, ready for clients.
    pub async fn start() -> Self {
        Self::start_with(NatsOptions::default()).await
    }

    /// Like `start`, with `config` as the server's configuration file.
    pub async fn start_with_config(config: &str) -> Self {
        Self::start_with(NatsOptions { config: Some(config.to_string()), ..NatsOptions::default() }).await
    }

    /// Starts a server with `options` and waits until a client can flush.
    pub async fn start_with(options: NatsOptions) -> Self {
        let mut server = Self::spawn_in(tempfile::tempdir().expect("temp dir for nats-server"), options).await;
        server.wait_until_ready().await;
        server
    }

    /// Starts a server in `dir` (files its configuration refers to may be
    /// there already) and returns once its URL is known, before it is ready.
    pub async fn spawn_in(dir: tempfile::TempDir, mut options: NatsOptions) -> Self {
        if options.name.is_empty() {
            options.name = "nats-server".into();
        }
        if let Some(config) = &options.config {
            std::fs::write(dir.path().join(CONFIG_FILE), config).expect("write nats-server config");
        }
        let mut server = Self { options, url: String::new(), proc: None, dir };
        server.spawn().await;
        server
    }

    /// `nats://127.0.0.1:PORT` (`tls://` when the configuration demands TLS).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.options.name
    }

    /// The server's directory (configuration, store, log, ports file).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn is_running(&self) -> bool {
        self.proc.is_some()
    }

    /// SIGKILL and reap; the store stays as the crash left it.
    pub fn stop(&mut self) {
        if let Some(mut proc) = self.proc.take() {
            proc.kill();
        }
    }

    /// SIGTERM: JetStream shuts down cleanly; SIGKILL after `grace`.
    pub async fn terminate(&mut self, grace: Duration) {
        if let Some(mut proc) = self.proc.take() {
            proc.terminate(grace).await;
        }
    }

    /// Starts a stopped server again on the same port with the same store,
    /// without waiting until it is ready.
    pub async fn start_again(&mut self) {
        assert!(self.proc.is_none(), "{} is already running", self.name());
        self.spawn().await;
    }

    /// Kills the server, starts it again on the same port with the same
    /// store and waits until a client can flush.
    pub async fn restart(&mut self) {
        self.stop();
        self.start_again().await;
        self.wait_until_ready().await;
    }

    /// Waits until a client can connect and flush.
    pub async fn wait_until_ready(&mut self) {
        self.wait_until("accepts clients", |url| async move {
            matches!(async_nats::connect(url).await, Ok(client) if client.flush().await.is_ok())
        })
        .await;
    }

    /// Polls `check(url)` until it holds; panics with the log if the
    /// process exits or `check` still fails after the start timeout.
    pub async fn wait_until<F, Fut>(&mut self, what: &str, mut check: F)
    where
        F: FnMut(String) -> Fut,
        Fut: Future<Output = bool>,
    {
        let deadline = Instant::now() + START_TIMEOUT;
        while !check(self.url.clone()).await {
            self.fail_if_exited();
            let url = &self.url;
            assert!(Instant::now() < deadline, "{url} {what}: not in {START_TIMEOUT:?}\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The server's whole log, for failure messages and checks.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join(LOG_FILE)).unwrap_or_default()
    }

    /// The last `lines` lines of the log.
    pub fn log_tail(&self, lines: usize) -> String {
        log_tail(&self.dir.path().join(LOG_FILE), lines)
    }

    async fn spawn(&mut self) {
        let dir = self.dir.path().to_path_buf();
        remove_ports_files(&dir);
        let port = self.options.port.map_or_else(|| "-1".to_string(), |p| p.to_string());
        let mut command = Command::new(nats_server_bin());
        if dir.join(CONFIG_FILE).exists() {
            command.arg("-c").arg(dir.join(CONFIG_FILE));
        }
        command.args(["-a", "127.0.0.1", "-p", &port, "-js", "-sd"]).arg(dir.join("store"));
        command.arg("--ports_file_dir").arg(&dir).arg("-l").arg(dir.join(LOG_FILE));
        command.envs(self.options.env.iter().map(|(k, v)| (k, v)));
        self.proc = Some(Proc::spawn(&self.options.name, command, &dir.join(LOG_FILE)));
        self.url = match self.options.port {
            Some(port) => format!("nats://127.0.0.1:{port}"),
            None => self.wait_for_ports_file().await,
        };
        self.options.port = Some(port_of(&self.url));
    }

    async fn wait_for_ports_file(&mut self) -> String {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(url) = read_ports_file(self.dir.path()) {
                return url;
            }
            self.fail_if_exited();
            assert!(Instant::now() < deadline, "nats-server wrote no ports file in {START_TIMEOUT:?}\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn fail_if_exited(&mut self) {
        if let Some(status) = self.proc.as_mut().and_then(Proc::exited) {
            panic!("{} exited early ({status})\n{}", self.name(), self.log());
        }
    }
}

fn nats_server_bin() -> PathBuf {
    let bin = std::env::var_os("NATS_SERVER_BIN").unwrap_or_else(|| {
        panic!(
            "NATS_SERVER_BIN is not set: point it at a nats-server >= 2.10 binary \
             (`make tools` installs one into .tools/nats-server)"
        )
    });
    PathBuf::from(bin)
}

/// The first client URL from `<dir>/*.ports` (`{"nats": ["nats://..."]}`).
fn read_ports_file(dir: &Path) -> Option<String> {
    let entries = std::fs::read_dir(dir).ok()?;
    let path =
        entries.filter_map(Result::ok).map(|e| e.path()).find(|p| p.extension().is_some_and(|e| e == "ports"))?;
    // The file may be caught half-written: unparsable means "not yet".
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    json["nats"][0].as_str().map(String::from)
}

fn remove_ports_files(dir: &Path) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.path().extension().is_some_and(|e| e == "ports") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn port_of(url: &str) -> u16 {
    url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port in nats URL")
}
