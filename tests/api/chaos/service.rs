//! `ChaosService`: the real `order-service` binary, configured only by
//! environment variables, that a scenario can SIGKILL and start again on
//! the same HTTP port, or freeze with SIGSTOP and thaw with SIGCONT.
//!
//! The output of every run goes to one log file; its tail is printed when
//! the test fails while the service handle is alive. Set `CHAOS_LOG_DIR`
//! to keep the whole logs after the test, and `CHAOS_SERVICE_BIN` to run
//! another build of the binary (e.g. `target/release/order-service`).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::helpers::http_client;
use support::process::{Proc, free_port, log_tail};

const START_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub(crate) struct ChaosService {
    name: String,
    env: Vec<(String, String)>,
    port: u16,
    pub(crate) address: String,
    log: PathBuf,
    proc: Option<Proc>,
    /// Times the process was started (1 + restarts).
    pub(crate) starts: usize,
    _dir: tempfile::TempDir,
}

impl ChaosService {
    /// Starts the binary on a free port and waits for `GET /health`.
    pub(crate) async fn start(name: &str, env: &[(&str, String)]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir for service logs");
        let port = free_port();
        let mut service = Self {
            name: name.to_string(),
            env: env.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
            port,
            address: format!("http://127.0.0.1:{port}"),
            log: log_path(dir.path(), name, port),
            proc: None,
            starts: 0,
            _dir: dir,
        };
        service.spawn().await;
        service
    }

    async fn spawn(&mut self) {
        assert!(self.proc.is_none(), "{} is already running", self.name);
        let mut command = Command::new(service_bin());
        command
            .env("HTTP_ADDR", format!("127.0.0.1:{}", self.port))
            .env("RUST_LOG", "info,async_nats=warn")
            .env("NO_COLOR", "1")
            .env("RUST_LIB_BACKTRACE", "0")
            .env_remove("CONFIG_FILE")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        self.proc = Some(Proc::spawn(&self.name, command, &self.log));
        self.starts += 1;
        self.wait_healthy().await;
    }

    async fn wait_healthy(&mut self) {
        let (name, address) = (self.name.clone(), self.address.clone());
        let log = self.log.clone();
        let proc = &mut self.proc;
        let exited = || proc.as_mut().and_then(Proc::exited);
        let logs = || log_tail(&log, 60);
        crate::helpers::wait_until_healthy(&name, &address, START_TIMEOUT, exited, logs).await;
    }

    /// Waits until `GET /ready` answers 200 (NATS connected, supervisors up).
    pub(crate) async fn wait_ready(&self, timeout: Duration) {
        let client = http_client();
        let deadline = Instant::now() + timeout;
        loop {
            let ready = client.get(format!("{}/ready", self.address)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            assert!(Instant::now() < deadline, "{} not ready in {timeout:?}:\n{}", self.name, self.log_tail(60));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub(crate) fn is_running(&self) -> bool {
        self.proc.is_some()
    }

    /// SIGKILL and reap.
    pub(crate) fn kill(&mut self) {
        if let Some(mut proc) = self.proc.take() {
            proc.kill();
        }
    }

    /// Starts the binary again on the same port with the same environment.
    pub(crate) async fn restart(&mut self) {
        self.kill();
        self.spawn().await;
    }

    /// SIGSTOP: the process freezes mid-step, its sockets stay open.
    pub(crate) fn pause(&self) {
        self.proc.as_ref().expect("service running").signal("STOP");
    }

    /// SIGCONT: the frozen process carries on where it stopped.
    pub(crate) fn resume(&self) {
        self.proc.as_ref().expect("service running").signal("CONT");
    }

    /// `order_service_deliveries_in_flight` from `/metrics` (None if down).
    pub(crate) async fn deliveries_in_flight(&self) -> Option<u64> {
        self.metric("order_service_deliveries_in_flight").await.map(|v| v as u64)
    }

    /// The value of an unlabelled metric from `/metrics` (None if down).
    pub(crate) async fn metric(&self, name: &str) -> Option<f64> {
        let client = http_client();
        let response = client.get(format!("{}/metrics", self.address)).timeout(Duration::from_secs(2)).send().await;
        let text = response.ok()?.text().await.ok()?;
        let line = text.lines().find(|l| l.split(' ').next() == Some(name))?;
        line.rsplit(' ').next()?.parse().ok()
    }

    pub(crate) fn log_tail(&self, lines: usize) -> String {
        log_tail(&self.log, lines)
    }
}

/// `CHAOS_SERVICE_BIN` (e.g. a release build) or this package's binary.
fn service_bin() -> PathBuf {
    std::env::var_os("CHAOS_SERVICE_BIN")
        .map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_order-service")), PathBuf::from)
}

/// `$CHAOS_LOG_DIR/<name>-<port>.log` when set (kept after the test), else
/// a file in the service's temp dir.
fn log_path(temp: &std::path::Path, name: &str, port: u16) -> PathBuf {
    match std::env::var_os("CHAOS_LOG_DIR") {
        Some(dir) => PathBuf::from(dir).join(format!("{name}-{port}.log")),
        None => temp.join("service.log"),
    }
}

impl Drop for ChaosService {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("---- {} ({}) last lines ----\n{}", self.name, self.address, self.log_tail(80));
        }
        self.kill();
    }
}
