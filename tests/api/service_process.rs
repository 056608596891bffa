//! `ServiceProcess`: the real `order-service` binary, configured only through
//! environment variables, for tests that crash it (SIGKILL) and start it
//! again, stop it with SIGTERM, or need its process-wide telemetry.
//!
//! stdout and stderr go to a temp file that is printed when a test fails
//! (a panic while the process handle is alive) or the process dies at start.

use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use support::process::free_port;

const START_TIMEOUT: Duration = Duration::from_secs(30);

/// One run of the `order-service` binary.
#[derive(Debug)]
pub(crate) struct ServiceProcess {
    child: Option<Child>,
    pub(crate) address: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl ServiceProcess {
    /// Starts the binary on a free port with `env` and waits for `GET /health`.
    pub(crate) async fn start(env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir for service logs");
        let log = dir.path().join("service.log");
        let port = free_port();
        let out = std::fs::File::create(&log).expect("service log file");
        let err = out.try_clone().expect("service log file handle");
        let mut command = Command::new(env!("CARGO_BIN_EXE_order-service"));
        command
            .env("HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "info")
            .env_remove("CONFIG_FILE")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        for (name, value) in env {
            command.env(name, value);
        }
        let child = command.spawn().expect("start order-service binary");
        let mut service = Self { child: Some(child), address: format!("http://127.0.0.1:{port}"), log, _dir: dir };
        service.wait_until_healthy().await;
        service
    }

    async fn wait_until_healthy(&mut self) {
        let address = self.address.clone();
        let log = &self.log;
        let child = &mut self.child;
        let exited = || child.as_mut().and_then(|c| c.try_wait().ok().flatten());
        let logs = || std::fs::read_to_string(log).unwrap_or_default();
        crate::helpers::wait_until_healthy("order-service", &address, START_TIMEOUT, exited, logs).await;
    }

    /// SIGKILL: no drain, no flush, no graceful anything; then reap it.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM (a graceful drain), then waits up to `timeout` for the exit.
    /// `None` if it was still running then; it is killed anyway.
    pub(crate) async fn terminate(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let child = self.child.as_mut()?;
        let signalled = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        assert!(signalled.is_ok_and(|s| s.success()), "kill -TERM {} failed", child.id());
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait().ok().flatten() {
                self.child = None;
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.kill();
        None
    }

    /// Everything the process wrote to stdout and stderr so far.
    pub(crate) fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("---- order-service output ({}) ----\n{}", self.address, self.logs());
        }
        self.kill();
    }
}
