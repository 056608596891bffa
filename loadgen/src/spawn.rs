//! Processes loadgen starts for a self-contained run: a private nats-server
//! (JetStream, temp store, port chosen by the server and read from its
//! ports file, optionally `sync_interval: always`) and the release
//! `order-service` on a free port. Output goes to log files in a temp dir
//! whose tail is shown when a process fails to start. Dropping a handle
//! kills and reaps the process (errors ignored) and removes the temp dir,
//! unless `LOADGEN_KEEP_TEMP` is set: then the dirs (logs, NATS store) are
//! kept for diagnosis and their paths printed.

use anyhow::{Context as _, bail};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cli::{Args, SyncMode};

const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A temp dir removed on drop.
#[derive(Debug)]
struct TempDir(PathBuf);

impl TempDir {
    fn new(what: &str) -> anyhow::Result<Self> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        let dir = std::env::temp_dir().join(format!("loadgen-{what}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
        Ok(Self(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("LOADGEN_KEEP_TEMP").is_some() {
            eprintln!("loadgen: kept {}", self.0.display());
            return;
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process killed and reaped on drop.
#[derive(Debug)]
struct Owned(Child);

impl Drop for Owned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Owned {
    fn pid(&self) -> u32 {
        self.0.id()
    }

    fn fail_if_exited(&mut self, what: &str, log: &Path) -> anyhow::Result<()> {
        if let Ok(Some(status)) = self.0.try_wait() {
            bail!("{what} exited at start ({status}):\n{}", tail(log));
        }
        Ok(())
    }
}

fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// A nats-server owned by this run. Field order: the process dies before its dir.
#[derive(Debug)]
pub(crate) struct NatsProcess {
    child: Owned,
    pub(crate) url: String,
    /// HTTP monitoring (`/varz`: the broker's message counters).
    pub(crate) monitor_url: Option<String>,
    _dir: TempDir,
}

impl NatsProcess {
    pub(crate) async fn start(bin: &Path, sync: SyncMode) -> anyhow::Result<Self> {
        let dir = TempDir::new("nats")?;
        let store = dir.0.join("store");
        let sync_line = sync.config_line();
        let config = dir.0.join("nats.conf");
        std::fs::write(
            &config,
            format!("jetstream {{\n  store_dir: {:?}\n{sync_line}}}\n", store.display().to_string()),
        )
        .context("write nats.conf")?;
        let log = dir.0.join("nats.log");
        let child = Command::new(bin)
            .args(["-js", "-a", "127.0.0.1", "-p", "-1", "-m", "-1"])
            .arg("-c")
            .arg(&config)
            .arg("--ports_file_dir")
            .arg(&dir.0)
            .arg("-l")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("start {} (run `make tools` to install it)", bin.display()))?;
        let mut child = Owned(child);
        let deadline = Instant::now() + START_TIMEOUT;
        let (url, monitor_url) = loop {
            if let Some(ports) = read_ports_file(&dir.0) {
                break ports;
            }
            child.fail_if_exited("nats-server", &log)?;
            if Instant::now() > deadline {
                bail!("nats-server wrote no ports file within {START_TIMEOUT:?}:\n{}", tail(&log));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let client = async_nats::connect(&url).await.context("connect to the spawned nats-server")?;
        client.flush().await.context("flush to the spawned nats-server")?;
        Ok(Self { child, url, monitor_url, _dir: dir })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.pid()
    }
}

/// The first client and monitoring URLs from `<dir>/*.ports`; `None` until
/// fully written.
fn read_ports_file(dir: &Path) -> Option<(String, Option<String>)> {
    let path = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "ports"))?;
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    let url = json["nats"][0].as_str()?.to_string();
    Some((url, json["monitoring"][0].as_str().map(String::from)))
}

/// The order-service binary owned by this run.
#[derive(Debug)]
pub(crate) struct ServiceProcess {
    child: Owned,
    pub(crate) url: String,
    log: PathBuf,
    _dir: TempDir,
}

impl ServiceProcess {
    /// Starts `args.service_bin` against `nats_url`; returns once `/health` answers.
    pub(crate) async fn start(args: &Args, nats_url: &str) -> anyhow::Result<Self> {
        let dir = TempDir::new("service")?;
        let log = dir.0.join("service.log");
        let out = std::fs::File::create(&log).context("service log file")?;
        let port = free_port()?;
        let mut command = Command::new(&args.service_bin);
        command
            .env("NATS_URL", nats_url)
            .env("HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env("PAYMENT_SIM_LATENCY_MS", args.payment_latency_ms.to_string())
            .env("RUST_LOG", &args.service_log)
            .env_remove("CONFIG_FILE")
            .env_remove("PAYMENT_GATEWAY_URL")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .stdin(Stdio::null())
            .stdout(out.try_clone().context("service log file")?)
            .stderr(out);
        if let Some(n) = args.worker_pool_size {
            command.env("WORKER_POOL_SIZE", n.to_string());
        }
        if let Some(n) = args.mailbox_capacity {
            command.env("MAILBOX_CAPACITY", n.to_string());
        }
        let child = command
            .spawn()
            .with_context(|| format!("start {} (build it: cargo build --release)", args.service_bin.display()))?;
        let mut service = Self { child: Owned(child), url: format!("http://127.0.0.1:{port}"), log, _dir: dir };
        service.wait_healthy().await?;
        Ok(service)
    }

    async fn wait_healthy(&mut self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let health = client.get(format!("{}/health", self.url)).send().await;
            if health.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            self.child.fail_if_exited("order-service", &self.log)?;
            if Instant::now() > deadline {
                bail!("order-service not healthy within {START_TIMEOUT:?}:\n{}", tail(&self.log));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.pid()
    }

    /// SIGTERM and wait (graceful drain), then make sure it is gone.
    pub(crate) async fn stop(self) {
        let pid = self.pid().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let mut this = self;
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline && matches!(this.child.0.try_wait(), Ok(None)) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A port nothing listens on right now (bind :0, read, release).
fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("bind 127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
