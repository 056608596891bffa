//! `ServiceProcess`: the real `order-service` binary, configured only
//! through environment variables, for tests that crash it (SIGKILL) and
//! start it again on the same port, stop it with SIGTERM, freeze it with
//! SIGSTOP and thaw it with SIGCONT, or need its process-wide telemetry.
//!
//! Start-up waits for `GET /health` and fails fast, with the output, when
//! the process exits. The output of every run is appended to one log file
//! (in a temp dir, or `log_dir` to keep it); its tail is printed when a
//! test panics while the handle is alive.

use std::path::PathBuf;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use crate::http::{http_client, wait_until_healthy};
use crate::process::{Proc, free_port, log_tail};

const START_TIMEOUT: Duration = Duration::from_secs(30);

/// What to run and with which environment.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// For messages and the log file's name.
    pub name: String,
    /// The `order-service` binary (a test's `CARGO_BIN_EXE_order-service`).
    pub bin: PathBuf,
    /// Variables set after the defaults (`HTTP_ADDR`, `RUST_LOG`, ...).
    pub env: Vec<(String, String)>,
    /// Where the log is kept after the test (`<name>-<port>.log`).
    pub log_dir: Option<PathBuf>,
}

impl ServiceOptions {
    pub fn new<V: AsRef<str>>(name: &str, bin: impl Into<PathBuf>, env: &[(&str, V)]) -> Self {
        let env = env.iter().map(|(k, v)| (k.to_string(), v.as_ref().to_string())).collect();
        Self { name: name.to_string(), bin: bin.into(), env, log_dir: None }
    }
}

/// One `order-service` process that can be started again on its port.
#[derive(Debug)]
pub struct ServiceProcess {
    options: ServiceOptions,
    port: u16,
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    log: PathBuf,
    proc: Option<Proc>,
    /// Times the process was started (1 + restarts).
    pub starts: usize,
    _dir: tempfile::TempDir,
}

impl ServiceProcess {
    /// Starts the binary on a free port and waits for `GET /health`.
    pub async fn start(options: ServiceOptions) -> Self {
        let dir = tempfile::tempdir().expect("temp dir for service logs");
        let port = free_port();
        let log = match &options.log_dir {
            Some(kept) => kept.join(format!("{}-{port}.log", options.name)),
            None => dir.path().join("service.log"),
        };
        let address = format!("http://127.0.0.1:{port}");
        let mut service = Self { options, port, address, log, proc: None, starts: 0, _dir: dir };
        service.spawn().await;
        service
    }

    async fn spawn(&mut self) {
        assert!(self.proc.is_none(), "{} is already running", self.options.name);
        let mut command = Command::new(&self.options.bin);
        command
            .env("HTTP_ADDR", format!("127.0.0.1:{}", self.port))
            .env("RUST_LOG", "info,async_nats=warn")
            .env("NO_COLOR", "1")
            .env("RUST_LIB_BACKTRACE", "0")
            .env_remove("CONFIG_FILE")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .envs(self.options.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        self.proc = Some(Proc::spawn(&self.options.name, command, &self.log));
        self.starts += 1;
        let (name, address, log) = (self.options.name.clone(), self.address.clone(), self.log.clone());
        let proc = &mut self.proc;
        let exited = || proc.as_mut().and_then(Proc::exited);
        wait_until_healthy(&name, &address, START_TIMEOUT, exited, || log_tail(&log, 60)).await;
    }

    /// Waits until `GET /ready` answers 200 (NATS connected, supervisors up).
    pub async fn wait_ready(&self, timeout: Duration) {
        let client = http_client();
        let deadline = Instant::now() + timeout;
        loop {
            let ready = client.get(format!("{}/ready", self.address)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            let name = &self.options.name;
            assert!(Instant::now() < deadline, "{name} not ready in {timeout:?}:\n{}", self.log_tail(60));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn is_running(&self) -> bool {
        self.proc.is_some()
    }

    /// SIGKILL: no drain, no flush, no graceful anything; then reap it.
    pub fn kill(&mut self) {
        if let Some(mut proc) = self.proc.take() {
            proc.kill();
        }
    }

    /// SIGTERM (a graceful drain), then waits up to `timeout` for the exit.
    /// `None` if it was still running then; it is killed anyway.
    pub async fn terminate(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let mut proc = self.proc.take()?;
        proc.terminate(timeout).await
    }

    /// Starts the binary again on the same port with the same environment.
    pub async fn restart(&mut self) {
        self.kill();
        self.spawn().await;
    }

    /// SIGSTOP: the process freezes mid-step, its sockets stay open.
    pub fn pause(&self) {
        self.proc.as_ref().expect("service running").signal("STOP");
    }

    /// SIGCONT: the frozen process carries on where it stopped.
    pub fn resume(&self) {
        self.proc.as_ref().expect("service running").signal("CONT");
    }

    /// `order_service_deliveries_in_flight` from `/metrics` (None if down).
    pub async fn deliveries_in_flight(&self) -> Option<u64> {
        self.metric("order_service_deliveries_in_flight").await.map(|v| v as u64)
    }

    /// The value of an unlabelled metric from `/metrics` (None if down).
    pub async fn metric(&self, name: &str) -> Option<f64> {
        let client = http_client();
        let response = client.get(format!("{}/metrics", self.address)).timeout(Duration::from_secs(2)).send().await;
        let text = response.ok()?.text().await.ok()?;
        let line = text.lines().find(|l| l.split(' ').next() == Some(name))?;
        line.rsplit(' ').next()?.parse().ok()
    }

    /// Everything the process wrote to stdout and stderr so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn log_tail(&self, lines: usize) -> String {
        log_tail(&self.log, lines)
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("---- {} ({}) last lines ----\n{}", self.options.name, self.address, self.log_tail(80));
        }
        self.kill();
    }
}
