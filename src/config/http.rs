//! The `http` section: where the API binds, its worker threads and
//! connection timeouts, the per-client rate limit, and how long
//! `POST /orders` may wait for NATS.

use std::net::SocketAddr;
use std::time::Duration;

use super::parse::Parser;

/// How the HTTP front behaves.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// `HTTP_ADDR`: where the HTTP API binds.
    pub addr: SocketAddr,
    /// `HTTP_WORKERS`: actix-web worker threads; default the number of
    /// cores the process may use.
    pub workers: usize,
    /// `HTTP_KEEP_ALIVE_SECS`: how long an idle client connection is kept
    /// open; longer than common clients' pool idle timeouts (hyper and Go
    /// keep idle connections 90 s), so a client never sends on a
    /// connection the service is closing.
    pub keep_alive: Duration,
    /// `HTTP_BODY_TIMEOUT_SECS`: a request body must arrive completely
    /// within this long of its first byte, else 408 and the connection closes.
    pub body_timeout: Duration,
    /// `INTAKE_TIMEOUT_MS`: the longest `POST /orders` waits for NATS to
    /// store the order before answering 503 (a partitioned broker must not
    /// hold clients for the request timeout).
    pub intake_timeout: Duration,
    /// `RATE_LIMIT_PER_SEC`: per-client-IP request rate (0 = unlimited,
    /// the default).
    pub rate_limit_per_sec: u32,
    /// `RATE_LIMIT_BURST`: per-client-IP burst.
    pub rate_limit_burst: u32,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([0, 0, 0, 0], 8080)),
            workers: std::thread::available_parallelism().map_or(1, usize::from),
            keep_alive: Duration::from_secs(120),
            body_timeout: Duration::from_secs(10),
            intake_timeout: Duration::from_secs(2),
            rate_limit_per_sec: 0,
            rate_limit_burst: 0,
        }
    }
}

impl HttpSettings {
    pub(super) fn read(p: &mut Parser<'_>) -> Self {
        let d = Self::default();
        Self {
            addr: p.parse("HTTP_ADDR", d.addr),
            workers: p.bounded("HTTP_WORKERS", d.workers, 1, 256),
            keep_alive: p.secs("HTTP_KEEP_ALIVE_SECS", d.keep_alive),
            body_timeout: p.secs("HTTP_BODY_TIMEOUT_SECS", d.body_timeout),
            intake_timeout: p.bounded_millis("INTAKE_TIMEOUT_MS", d.intake_timeout, 100, 60_000),
            rate_limit_per_sec: p.parse("RATE_LIMIT_PER_SEC", d.rate_limit_per_sec),
            rate_limit_burst: p.parse("RATE_LIMIT_BURST", d.rate_limit_burst),
        }
    }
}
