//! Settings: built-in defaults < optional config file (`CONFIG_FILE`, TOML) <
//! environment variables, grouped in one section per part of the service
//! (`nats`, `http`, `pool`, `saga`, `payment`, `retention`, `telemetry`,
//! `admin`); a section builds its component where it can (the payment
//! gateway, the pool's counters).
//!
//! Variable names stay flat (`NATS_URL`, `HTTP_ADDR`, …; lowercase keys in
//! the file). Every value is read as text and parsed here, so an invalid
//! value is reported with the exact environment variable name, and every
//! problem is reported at once, before anything binds or connects.

mod admin;
mod http;
mod nats;
mod parse;
mod payment;
mod pool;
mod retention;
mod saga;
mod telemetry;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

pub use admin::AdminSettings;
pub use http::HttpSettings;
pub use nats::{NatsAuth, NatsSettings};
use parse::Parser;
pub use payment::PaymentSettings;
pub use pool::PoolSettings;
pub use retention::{
    DEAD_LETTER_RETENTION_DAYS, MAX_ORDER_RETENTION_DAYS, MIN_ORDER_RETENTION_DAYS, RetentionSettings,
};
pub use saga::SagaSettings;
pub use telemetry::{LogFormat, TelemetrySettings};

/// Everything the service can be configured with. `Default` is the built-in
/// defaults (what `make run` uses).
#[derive(Debug, Clone)]
pub struct Settings {
    pub nats: NatsSettings,
    pub http: HttpSettings,
    pub pool: PoolSettings,
    pub saga: SagaSettings,
    pub payment: PaymentSettings,
    pub retention: RetentionSettings,
    pub telemetry: TelemetrySettings,
    pub admin: AdminSettings,
    /// `SHUTDOWN_TIMEOUT_SECS`: the whole shutdown budget from the signal
    /// to exit, NATS and telemetry flushes included (see `shutdown`).
    pub shutdown_timeout: Duration,
    /// `SAMPLE_INVENTORY`: `sku=n,sku=n` stock set at start-up when the SKU
    /// has no record yet (demo data for `make run`).
    pub sample_inventory: Vec<(String, u64)>,
}

/// The default `SHUTDOWN_TIMEOUT_SECS`.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(25);

impl Default for Settings {
    fn default() -> Self {
        Self {
            nats: NatsSettings::default(),
            http: HttpSettings::default(),
            pool: PoolSettings::default(),
            saga: SagaSettings::default(),
            payment: PaymentSettings::default(),
            retention: RetentionSettings::default(),
            telemetry: TelemetrySettings::default(),
            admin: AdminSettings::default(),
            shutdown_timeout: SHUTDOWN_TIMEOUT,
            sample_inventory: Vec::new(),
        }
    }
}

/// A secret value: `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
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
        let mut p = Parser::new(raw);
        let settings = Settings {
            nats: NatsSettings::read(&mut p),
            http: HttpSettings::read(&mut p),
            pool: PoolSettings::read(&mut p),
            saga: SagaSettings::read(&mut p),
            payment: PaymentSettings::read(&mut p),
            retention: RetentionSettings::read(&mut p),
            telemetry: TelemetrySettings::read(&mut p),
            admin: AdminSettings::read(&mut p),
            shutdown_timeout: p.secs("SHUTDOWN_TIMEOUT_SECS", SHUTDOWN_TIMEOUT),
            sample_inventory: p.inventory("SAMPLE_INVENTORY"),
        };
        match p.errors.is_empty() {
            true => Ok(settings),
            false => Err(ConfigError(p.errors)),
        }
    }
}
