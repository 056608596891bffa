//! The chaos suite's `order-service` processes: the shared
//! `support::service::ServiceProcess` (kill and restart on the same port,
//! SIGSTOP/SIGCONT, `/metrics` readings) running this package's binary.
//! Set `CHAOS_SERVICE_BIN` to run another build of the binary (e.g.
//! `target/release/order-service`) and `CHAOS_LOG_DIR` to keep the whole
//! logs after the test.

use std::path::PathBuf;

use support::service::{ServiceOptions, ServiceProcess};

/// Starts `name` with `env` on a free port and waits for `GET /health`.
pub(crate) async fn start(name: &str, env: &[(&str, String)]) -> ServiceProcess {
    let bin = std::env::var_os("CHAOS_SERVICE_BIN")
        .map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_order-service")), PathBuf::from);
    let log_dir = std::env::var_os("CHAOS_LOG_DIR").map(PathBuf::from);
    ServiceProcess::start(ServiceOptions { log_dir, ..ServiceOptions::new(name, bin, env) }).await
}
