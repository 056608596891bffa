//! Settings: built-in defaults < optional config file (`CONFIG_FILE`, TOML) <
//! environment variables.
//!
//! Every value is read as text and parsed here, so an invalid value is
//! reported with the exact environment variable name, and every problem is
//! reported at once, before anything binds or connects.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

/// How long dead letters are kept for inspection and replay.
pub const DEAD_LETTER_RETENTION_DAYS: u64 = 30;
/// Shortest `ORDER_RETENTION_DAYS` other than 0: a day longer than dead
/// letters are kept, so no replay can outlive its order.
pub const MIN_ORDER_RETENTION_DAYS: u32 = DEAD_LETTER_RETENTION_DAYS as u32 + 1;
/// Longest `ORDER_RETENTION_DAYS`: 100 years (the broker keeps `max_age` in
/// i64 nanoseconds, about 292 years).
pub const MAX_ORDER_RETENTION_DAYS: u32 = 36_500;
const DAY: Duration = Duration::from_secs(24 * 3600);

/// Everything the service can be configured with. `Default` is the built-in
/// defaults (what `make run` uses).
#[derive(Debug, Clone)]
pub struct Settings {
    /// `NATS_URL`: one or more comma-separated server URLs.
    pub nats_url: String,
    /// NATS credentials and TLS (`NATS_USER`/`NATS_PASSWORD`, `NATS_TOKEN`,
    /// `NATS_NKEY_SEED`, `NATS_CREDS_FILE`, `NATS_TLS_CA`, `NATS_TLS_CERT`,
    /// `NATS_TLS_KEY`, `NATS_TLS_REQUIRED`).
    pub nats_auth: NatsAuth,
    /// `NATS_CONNECT_TIMEOUT_SECS`: how long start-up waits for NATS.
    pub nats_connect_timeout: Duration,
    /// `HTTP_ADDR`: where the HTTP API binds.
    pub http_addr: SocketAddr,
    /// `HTTP_WORKERS`: actix-web worker threads; default the number of
    /// cores the process may use.
    pub http_workers: usize,
    /// `WORKER_POOL_SIZE`: worker actors in the pool.
    pub worker_pool_size: usize,
    /// `WORKER_THREADS`: arbiter threads for the pool; 0 (default) = the
    /// workers share the system arbiter's thread (fewer thread hops per
    /// order: same peak throughput, less CPU per order on 2 cores).
    pub worker_threads: usize,
    /// `MAILBOX_CAPACITY`: bound of every bounded mailbox (workers, services);
    /// also how many orders one worker may hold in flight.
    pub mailbox_capacity: usize,
    /// `PAYMENT_GATEWAY_URL`: HTTP payment provider; unset = built-in simulator.
    pub payment_gateway_url: Option<String>,
    /// `PAYMENT_TIMEOUT_MS`: timeout of one call to the payment provider.
    pub payment_timeout: Duration,
    /// `PAYMENT_SIM_LATENCY_MS`: simulated provider latency.
    pub payment_sim_latency: Duration,
    /// `PAYMENT_SIM_FAILURE_RATE`: share (0.0..=1.0) of simulated calls that
    /// fail transiently (a probability, not money).
    pub payment_sim_failure_rate: f64,
    /// `ACK_WAIT_SECS`: JetStream ack_wait of the saga consumer.
    pub ack_wait: Duration,
    /// `MAX_DELIVER`: deliveries of one saga message before it is
    /// dead-lettered (transient failures are retried with growing delays).
    pub max_deliver: i64,
    /// `STUCK_ORDER_SECS`: an order that has not progressed for this long is
    /// reported as stuck (metric + log).
    pub stuck_after: Duration,
    /// `ADMIN_TOKEN`: bearer token required by admin routes when set.
    pub admin_token: Option<Secret>,
    /// `NATS_REPLICAS`: replicas for the stream and buckets the service creates.
    pub nats_replicas: usize,
    /// `SHUTDOWN_TIMEOUT_SECS`: the whole shutdown budget from the signal
    /// to exit, NATS and telemetry flushes included (see `shutdown`).
    pub shutdown_timeout: Duration,
    /// `HTTP_KEEP_ALIVE_SECS`: how long an idle client connection is kept
    /// open; longer than common clients' pool idle timeouts (hyper and Go
    /// keep idle connections 90 s), so a client never sends on a
    /// connection the service is closing.
    pub http_keep_alive: Duration,
    /// `INTAKE_TIMEOUT_MS`: the longest `POST /orders` waits for NATS to
    /// store the order before answering 503 (a partitioned broker must not
    /// hold clients for the request timeout).
    pub intake_timeout: Duration,
    /// `HTTP_BODY_TIMEOUT_SECS`: a request body must arrive completely
    /// within this long of its first byte, else 408 and the connection closes.
    pub http_body_timeout: Duration,
    /// `ORDER_RETENTION_DAYS`: order records and payment claims are removed
    /// this long after their last change (`None` = kept forever). At least
    /// [`MIN_ORDER_RETENTION_DAYS`]: a dead letter can be replayed for 30
    /// days, and its replay must still find the order and its payment claim.
    pub order_retention: Option<Duration>,
    /// `SAMPLE_INVENTORY`: `sku=n,sku=n` stock set at start-up when the SKU
    /// has no record yet (demo data for `make run`).
    pub sample_inventory: Vec<(String, u64)>,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`: export traces over OTLP when set.
    pub otel_endpoint: Option<String>,
    /// `OTEL_SERVICE_NAME`.
    pub otel_service_name: String,
    /// `JAEGER_UI_URL`: base URL of the Jaeger UI for the dashboard's trace links.
    pub jaeger_ui_url: String,
    /// `RATE_LIMIT_PER_SEC` / `RATE_LIMIT_BURST`: per-client-IP request
    /// rate (0 = unlimited, the default) and burst.
    pub rate_limit_per_sec: u32,
    pub rate_limit_burst: u32,
    /// `FAULT_INJECTION`: `true` enables `POST /api/actors/{name}/crash`.
    pub fault_injection: bool,
    /// `LOG_FORMAT`: `text` (default) or `json`.
    pub log_format: LogFormat,
    /// `ORDER_QUERY_MAX_RECORDS`: most order records one `GET /api/orders`
    /// reads; a wider window answers 422 `window_too_wide`.
    pub order_query_max_records: u64,
    /// `DASHBOARD_STREAM_CLIENTS`: most concurrent `/api/stream` clients;
    /// one more answers 503.
    pub dashboard_stream_clients: usize,
}

/// How the service authenticates to NATS and secures the connection.
#[derive(Debug, Clone, Default)]
pub struct NatsAuth {
    pub user: Option<String>,
    pub password: Option<Secret>,
    pub token: Option<Secret>,
    pub nkey_seed: Option<Secret>,
    pub creds_file: Option<std::path::PathBuf>,
    pub tls_ca: Option<std::path::PathBuf>,
    pub tls_cert: Option<std::path::PathBuf>,
    pub tls_key: Option<std::path::PathBuf>,
    pub tls_required: bool,
}

/// A secret value: `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            nats_url: "nats://127.0.0.1:4222".into(),
            nats_auth: NatsAuth::default(),
            nats_connect_timeout: Duration::from_secs(30),
            http_addr: SocketAddr::from(([0, 0, 0, 0], 8080)),
            http_workers: std::thread::available_parallelism().map_or(1, usize::from),
            worker_pool_size: 10,
            worker_threads: 0,
            mailbox_capacity: 64,
            payment_gateway_url: None,
            payment_timeout: Duration::from_secs(5),
            payment_sim_latency: Duration::ZERO,
            payment_sim_failure_rate: 0.0,
            ack_wait: Duration::from_secs(30),
            max_deliver: 20,
            stuck_after: Duration::from_secs(120),
            admin_token: None,
            nats_replicas: 1,
            shutdown_timeout: Duration::from_secs(25),
            http_keep_alive: Duration::from_secs(120),
            http_body_timeout: Duration::from_secs(10),
            intake_timeout: Duration::from_secs(2),
            order_retention: Some(DAY * 90),
            sample_inventory: Vec::new(),
            otel_endpoint: None,
            otel_service_name: "order-service".into(),
            log_format: LogFormat::Text,
            fault_injection: false,
            rate_limit_per_sec: 0,
            rate_limit_burst: 0,
            jaeger_ui_url: "http://localhost:16686".into(),
            order_query_max_records: 50_000,
            dashboard_stream_clients: 16,
        }
    }
}

/// One or more invalid settings; `Display` lists each with its variable name.
#[derive(Debug)]
pub struct ConfigError(Vec<String>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration: {}", self.0.join("; "))
    }
}

impl std::error::Error for ConfigError {}

impl Settings {
    /// Loads defaults < `CONFIG_FILE` (TOML, lowercase keys) < environment.
    pub fn load() -> Result<Self, ConfigError> {
        let mut builder = config::Config::builder();
        if let Ok(path) = std::env::var("CONFIG_FILE") {
            builder = builder.add_source(config::File::with_name(&path).required(true));
        }
        let raw: HashMap<String, String> = builder
            .add_source(config::Environment::default().try_parsing(false))
            .build()
            .and_then(|c| c.try_deserialize::<HashMap<String, config::Value>>())
            .map_err(|e| ConfigError(vec![e.to_string()]))?
            .into_iter()
            .filter_map(|(k, v)| v.into_string().ok().map(|s| (k.to_ascii_uppercase(), s)))
            .collect();
        Self::from_map(&raw)
    }

    /// Builds settings from `VARIABLE -> value` pairs (unknown names ignored).
    pub fn from_map(raw: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let mut p = Parser { raw, errors: Vec::new() };
        let d = Settings::default();
        let settings = Settings {
            nats_url: p.text("NATS_URL").unwrap_or(d.nats_url),
            nats_auth: p.nats_auth(),
            nats_connect_timeout: p.secs("NATS_CONNECT_TIMEOUT_SECS", d.nats_connect_timeout),
            http_addr: p.parse("HTTP_ADDR", d.http_addr),
            http_workers: p.bounded("HTTP_WORKERS", d.http_workers, 1, 256),
            worker_pool_size: p.bounded("WORKER_POOL_SIZE", d.worker_pool_size, 1, 1024),
            worker_threads: p.bounded("WORKER_THREADS", d.worker_threads, 0, 64),
            mailbox_capacity: p.bounded("MAILBOX_CAPACITY", d.mailbox_capacity, 1, 1 << 20),
            payment_gateway_url: p.url("PAYMENT_GATEWAY_URL"),
            payment_timeout: p.millis("PAYMENT_TIMEOUT_MS", d.payment_timeout),
            payment_sim_latency: p.millis("PAYMENT_SIM_LATENCY_MS", d.payment_sim_latency),
            payment_sim_failure_rate: p.rate("PAYMENT_SIM_FAILURE_RATE"),
            ack_wait: p.secs("ACK_WAIT_SECS", d.ack_wait),
            max_deliver: p.bounded("MAX_DELIVER", d.max_deliver as usize, 2, 10_000) as i64,
            stuck_after: p.secs("STUCK_ORDER_SECS", d.stuck_after),
            admin_token: p.text("ADMIN_TOKEN").map(Secret),
            nats_replicas: p.bounded("NATS_REPLICAS", d.nats_replicas, 1, 5),
            shutdown_timeout: p.secs("SHUTDOWN_TIMEOUT_SECS", d.shutdown_timeout),
            http_keep_alive: p.secs("HTTP_KEEP_ALIVE_SECS", d.http_keep_alive),
            http_body_timeout: p.secs("HTTP_BODY_TIMEOUT_SECS", d.http_body_timeout),
            intake_timeout: p.bounded_millis("INTAKE_TIMEOUT_MS", d.intake_timeout, 100, 60_000),
            order_retention: p.retention("ORDER_RETENTION_DAYS", d.order_retention),
            sample_inventory: p.inventory("SAMPLE_INVENTORY"),
            otel_endpoint: p.text("OTEL_EXPORTER_OTLP_ENDPOINT"),
            otel_service_name: p.text("OTEL_SERVICE_NAME").unwrap_or(d.otel_service_name),
            log_format: p.log_format("LOG_FORMAT"),
            fault_injection: p.parse("FAULT_INJECTION", false),
            rate_limit_per_sec: p.parse("RATE_LIMIT_PER_SEC", 0),
            rate_limit_burst: p.parse("RATE_LIMIT_BURST", 0),
            jaeger_ui_url: p.url("JAEGER_UI_URL").unwrap_or(d.jaeger_ui_url),
            order_query_max_records: p.bounded(
                "ORDER_QUERY_MAX_RECORDS",
                d.order_query_max_records as usize,
                1,
                10_000_000,
            ) as u64,
            dashboard_stream_clients: p.bounded("DASHBOARD_STREAM_CLIENTS", d.dashboard_stream_clients, 1, 1024),
        };
        if settings.nats_url.split(',').all(|u| u.trim().is_empty()) {
            p.errors.push("NATS_URL: must name at least one server".into());
        }
        match p.errors.is_empty() {
            true => Ok(settings),
            false => Err(ConfigError(p.errors)),
        }
    }

    /// The NATS server URLs, trimmed.
    pub fn nats_urls(&self) -> Vec<String> {
        self.nats_url.split(',').map(str::trim).filter(|u| !u.is_empty()).map(String::from).collect()
    }
}

struct Parser<'a> {
    raw: &'a HashMap<String, String>,
    errors: Vec<String>,
}

impl Parser<'_> {
    fn text(&self, name: &str) -> Option<String> {
        self.raw.get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
    }

    fn fail<T>(&mut self, name: &str, value: &str, why: impl fmt::Display, fallback: T) -> T {
        self.errors.push(format!("{name}={value:?}: {why}"));
        fallback
    }

    fn parse<T: FromStr>(&mut self, name: &str, default: T) -> T
    where
        T::Err: fmt::Display,
    {
        match self.text(name) {
            None => default,
            Some(v) => match v.parse() {
                Ok(parsed) => parsed,
                Err(e) => self.fail(name, &v, e, default),
            },
        }
    }

    fn bounded(&mut self, name: &str, default: usize, min: usize, max: usize) -> usize {
        let value = self.parse(name, default);
        if (min..=max).contains(&value) {
            return value;
        }
        self.fail(name, &value.to_string(), format!("must be between {min} and {max}"), default)
    }

    /// Milliseconds within `min..=max`.
    fn bounded_millis(&mut self, name: &str, default: Duration, min: usize, max: usize) -> Duration {
        Duration::from_millis(self.bounded(name, default.as_millis() as usize, min, max) as u64)
    }

    fn millis(&mut self, name: &str, default: Duration) -> Duration {
        Duration::from_millis(self.parse(name, default.as_millis() as u64))
    }

    fn secs(&mut self, name: &str, default: Duration) -> Duration {
        let secs = self.parse(name, default.as_secs());
        if secs == 0 {
            return self.fail(name, "0", "must be at least 1", default);
        }
        Duration::from_secs(secs)
    }

    /// Days, 0 = forever (`None`); otherwise from [`MIN_ORDER_RETENTION_DAYS`]
    /// to [`MAX_ORDER_RETENTION_DAYS`].
    fn retention(&mut self, name: &str, default: Option<Duration>) -> Option<Duration> {
        let Some(text) = self.text(name) else {
            return default;
        };
        match text.parse::<u32>() {
            Ok(0) => None,
            Ok(days) if (MIN_ORDER_RETENTION_DAYS..=MAX_ORDER_RETENTION_DAYS).contains(&days) => Some(DAY * days),
            _ => {
                let why = format!(
                    "must be 0 (keep forever) or from {MIN_ORDER_RETENTION_DAYS} to {MAX_ORDER_RETENTION_DAYS}: dead \
                     letters are kept {DEAD_LETTER_RETENTION_DAYS} days and a replay needs its order and payment claim"
                );
                self.fail(name, &text, why, default)
            }
        }
    }

    fn rate(&mut self, name: &str) -> f64 {
        let rate: f64 = self.parse(name, 0.0);
        if (0.0..=1.0).contains(&rate) {
            return rate;
        }
        self.fail(name, &rate.to_string(), "must be between 0.0 and 1.0", 0.0)
    }

    fn url(&mut self, name: &str) -> Option<String> {
        let url = self.text(name)?;
        if url.starts_with("http://") || url.starts_with("https://") {
            return Some(url.trim_end_matches('/').to_string());
        }
        self.fail(name, &url, "must start with http:// or https://", None)
    }

    fn log_format(&mut self, name: &str) -> LogFormat {
        match self.text(name).as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => self.fail(name, other, "must be `text` or `json`", LogFormat::Text),
        }
    }

    fn file(&mut self, name: &str) -> Option<std::path::PathBuf> {
        let path = std::path::PathBuf::from(self.text(name)?);
        if path.is_file() {
            return Some(path);
        }
        self.fail(name, &path.display().to_string(), "file does not exist", None)
    }

    fn nats_auth(&mut self) -> NatsAuth {
        let auth = NatsAuth {
            user: self.text("NATS_USER"),
            password: self.text("NATS_PASSWORD").map(Secret),
            token: self.text("NATS_TOKEN").map(Secret),
            nkey_seed: self.text("NATS_NKEY_SEED").map(Secret),
            creds_file: self.file("NATS_CREDS_FILE"),
            tls_ca: self.file("NATS_TLS_CA"),
            tls_cert: self.file("NATS_TLS_CERT"),
            tls_key: self.file("NATS_TLS_KEY"),
            tls_required: self.parse("NATS_TLS_REQUIRED", false),
        };
        if auth.user.is_some() != auth.password.is_some() {
            self.errors.push("NATS_USER and NATS_PASSWORD must be set together".into());
        }
        if auth.tls_cert.is_some() != auth.tls_key.is_some() {
            self.errors.push("NATS_TLS_CERT and NATS_TLS_KEY must be set together".into());
        }
        let methods = [auth.user.is_some(), auth.token.is_some(), auth.nkey_seed.is_some(), auth.creds_file.is_some()];
        if methods.iter().filter(|m| **m).count() > 1 {
            self.errors.push(
                "choose one NATS auth method: NATS_USER/NATS_PASSWORD, NATS_TOKEN, NATS_NKEY_SEED or NATS_CREDS_FILE"
                    .into(),
            );
        }
        auth
    }

    fn inventory(&mut self, name: &str) -> Vec<(String, u64)> {
        let Some(text) = self.text(name) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match pair.split_once('=').map(|(s, n)| (s.trim(), n.trim().parse::<u64>())) {
                Some((sku, Ok(n))) if !sku.is_empty() => out.push((sku.to_string(), n)),
                _ => return self.fail(name, pair, "expected sku=count pairs", Vec::new()),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn empty_environment_gives_documented_defaults() {
        let s = Settings::from_map(&HashMap::new()).expect("defaults are valid");
        assert_eq!(s.nats_url, "nats://127.0.0.1:4222");
        assert_eq!(s.http_addr.to_string(), "0.0.0.0:8080");
        assert_eq!(s.worker_pool_size, 10);
        assert!(s.payment_gateway_url.is_none());
    }

    #[test]
    fn every_invalid_variable_is_reported_by_name_at_once() {
        let raw = map(&[("WORKER_POOL_SIZE", "ten"), ("HTTP_ADDR", "nowhere"), ("PAYMENT_GATEWAY_URL", "ftp://x")]);
        let err = Settings::from_map(&raw).expect_err("invalid values").to_string();
        for name in ["WORKER_POOL_SIZE", "HTTP_ADDR", "PAYMENT_GATEWAY_URL"] {
            assert!(err.contains(name), "{name} missing from: {err}");
        }
    }

    #[test]
    fn zero_workers_is_rejected() {
        let err = Settings::from_map(&map(&[("WORKER_POOL_SIZE", "0")])).expect_err("zero workers");
        assert!(err.to_string().contains("WORKER_POOL_SIZE"));
    }

    #[test]
    fn http_workers_default_to_the_cores_and_zero_is_rejected() {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        assert_eq!(Settings::from_map(&map(&[])).expect("defaults").http_workers, cores);
        let s = Settings::from_map(&map(&[("HTTP_WORKERS", "3")])).expect("3 workers");
        assert_eq!(s.http_workers, 3);
        let err = Settings::from_map(&map(&[("HTTP_WORKERS", "0")])).expect_err("0 workers");
        assert!(err.to_string().contains("HTTP_WORKERS"));
    }

    #[test]
    fn zero_worker_threads_is_allowed_and_too_many_is_rejected() {
        let s = Settings::from_map(&map(&[("WORKER_THREADS", "0")])).expect("0 = the system arbiter");
        assert_eq!(s.worker_threads, 0);
        let err = Settings::from_map(&map(&[("WORKER_THREADS", "65")])).expect_err("too many");
        assert!(err.to_string().contains("WORKER_THREADS"));
    }

    #[test]
    fn http_keep_alive_outlasts_client_pools_and_can_be_set() {
        let s = Settings::from_map(&HashMap::new()).expect("defaults are valid");
        assert_eq!(s.http_keep_alive, Duration::from_secs(120));
        let s = Settings::from_map(&map(&[("HTTP_KEEP_ALIVE_SECS", "30")])).expect("valid");
        assert_eq!(s.http_keep_alive, Duration::from_secs(30));
        let err = Settings::from_map(&map(&[("HTTP_KEEP_ALIVE_SECS", "0")])).expect_err("zero");
        assert!(err.to_string().contains("HTTP_KEEP_ALIVE_SECS"));
    }

    #[test]
    fn order_retention_defaults_to_90_days_0_keeps_forever_and_out_of_range_is_rejected() {
        let s = Settings::from_map(&HashMap::new()).expect("defaults are valid");
        assert_eq!(s.order_retention, Some(Duration::from_secs(90 * 86_400)));
        let s = Settings::from_map(&map(&[("ORDER_RETENTION_DAYS", "0")])).expect("forever");
        assert_eq!(s.order_retention, None);
        let s = Settings::from_map(&map(&[("ORDER_RETENTION_DAYS", "31")])).expect("the minimum");
        assert_eq!(s.order_retention, Some(Duration::from_secs(31 * 86_400)));
        for bad in ["30", "1", "-5", "ninety", "36501"] {
            let err = Settings::from_map(&map(&[("ORDER_RETENTION_DAYS", bad)])).expect_err(bad).to_string();
            assert!(err.contains("ORDER_RETENTION_DAYS"), "{bad}: {err}");
        }
    }

    #[test]
    fn sample_inventory_parses_pairs() {
        let s = Settings::from_map(&map(&[("SAMPLE_INVENTORY", "A-1=5, B-2=0")])).expect("valid");
        assert_eq!(s.sample_inventory, vec![("A-1".to_string(), 5), ("B-2".to_string(), 0)]);
    }

    #[test]
    fn several_nats_urls_are_split() {
        let s = Settings::from_map(&map(&[("NATS_URL", "nats://a:1, nats://b:2")])).expect("valid");
        assert_eq!(s.nats_urls(), vec!["nats://a:1", "nats://b:2"]);
    }
}
