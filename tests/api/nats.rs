//! A real nats-server per test.
//!
//! `NatsServer` runs the binary named by `NATS_SERVER_BIN` with JetStream on a
//! random port and a temporary store, learns its URL from the ports file and
//! is ready once a client can connect and flush. `stop` kills it (SIGKILL),
//! `restart` brings it back on the same port with the same store. Dropping it
//! kills and reaps the process, ignoring errors (SIGTERM would exit 1).
//! `start_with_config` adds a configuration file (accounts, permissions);
//! the command-line flags above still apply.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const START_TIMEOUT: Duration = Duration::from_secs(15);
/// The optional configuration file in the server's directory.
const CONFIG_FILE: &str = "nats.conf";

/// One nats-server process with JetStream, owned by one test.
#[derive(Debug)]
pub(crate) struct NatsServer {
    child: Option<Child>,
    dir: tempfile::TempDir,
    url: String,
    port: u16,
}

impl NatsServer {
    /// Starts a server on a random port and waits until it accepts clients.
    pub(crate) async fn start() -> Self {
        Self::start_in(tempfile::tempdir().expect("temp dir for nats-server")).await
    }

    /// Like `start`, with `config` as the server's configuration file.
    pub(crate) async fn start_with_config(config: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir for nats-server");
        std::fs::write(dir.path().join(CONFIG_FILE), config).expect("write nats-server config");
        Self::start_in(dir).await
    }

    async fn start_in(dir: tempfile::TempDir) -> Self {
        let child = spawn_server(dir.path(), None);
        let mut server = Self { child: Some(child), dir, url: String::new(), port: 0 };
        server.url = server.wait_for_ports_file().await;
        server.port = port_of(&server.url);
        server.wait_until_ready().await;
        server
    }

    /// `nats://127.0.0.1:PORT`.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Kills the server (SIGKILL) and reaps it; the store stays on disk.
    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port with the same store.
    pub(crate) async fn restart(&mut self) {
        self.stop();
        remove_ports_files(self.dir.path());
        self.child = Some(spawn_server(self.dir.path(), Some(self.port)));
        let url = self.wait_for_ports_file().await;
        assert_eq!(port_of(&url), self.port, "restarted nats-server must keep its port");
        self.wait_until_ready().await;
    }

    async fn wait_for_ports_file(&mut self) -> String {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(url) = read_ports_file(self.dir.path()) {
                return url;
            }
            self.fail_if_exited();
            if Instant::now() > deadline {
                panic!("nats-server wrote no ports file in {START_TIMEOUT:?}\n{}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(client) = async_nats::connect(&self.url).await
                && client.flush().await.is_ok()
            {
                return;
            }
            self.fail_if_exited();
            if Instant::now() > deadline {
                panic!("nats-server at {} not ready in {START_TIMEOUT:?}\n{}", self.url, self.log());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn fail_if_exited(&mut self) {
        let status = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten());
        if let Some(status) = status {
            panic!("nats-server exited early ({status})\n{}", self.log());
        }
    }

    /// The server's log file, for failure messages.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("nats.log")).unwrap_or_default()
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
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

fn spawn_server(dir: &Path, port: Option<u16>) -> Child {
    let port = port.map_or_else(|| "-1".to_string(), |p| p.to_string());
    let bin = nats_server_bin();
    let mut command = Command::new(&bin);
    if dir.join(CONFIG_FILE).exists() {
        command.arg("-c").arg(dir.join(CONFIG_FILE));
    }
    command
        .args(["-a", "127.0.0.1", "-p", &port, "-js"])
        .arg("-sd")
        .arg(dir.join("store"))
        .arg("--ports_file_dir")
        .arg(dir)
        .arg("-l")
        .arg(dir.join("nats.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()))
}

/// The first client URL from `<dir>/*.ports` (`{"nats": ["nats://..."]}`).
pub(crate) fn read_ports_file(dir: &Path) -> Option<String> {
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
