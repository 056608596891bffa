//! The `nats` section: where the broker is, how the service authenticates
//! and secures the connection, and how many replicas what it creates gets.
//! Inconsistent credentials (half a pair, two methods) are reported here.

use std::path::PathBuf;
use std::time::Duration;

use super::Secret;
use super::parse::Parser;

/// How the service reaches NATS.
#[derive(Debug, Clone)]
pub struct NatsSettings {
    /// `NATS_URL`: one or more comma-separated server URLs.
    pub url: String,
    /// NATS credentials and TLS (`NATS_USER`/`NATS_PASSWORD`, `NATS_TOKEN`,
    /// `NATS_NKEY_SEED`, `NATS_CREDS_FILE`, `NATS_TLS_CA`, `NATS_TLS_CERT`,
    /// `NATS_TLS_KEY`, `NATS_TLS_REQUIRED`).
    pub auth: NatsAuth,
    /// `NATS_CONNECT_TIMEOUT_SECS`: how long start-up waits for NATS.
    pub connect_timeout: Duration,
    /// `NATS_REPLICAS`: replicas for the stream and buckets the service creates.
    pub replicas: usize,
}

/// How the service authenticates to NATS and secures the connection.
#[derive(Debug, Clone, Default)]
pub struct NatsAuth {
    pub user: Option<String>,
    pub password: Option<Secret>,
    pub token: Option<Secret>,
    pub nkey_seed: Option<Secret>,
    pub creds_file: Option<PathBuf>,
    pub tls_ca: Option<PathBuf>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub tls_required: bool,
}

impl Default for NatsSettings {
    fn default() -> Self {
        Self {
            url: "nats://127.0.0.1:4222".into(),
            auth: NatsAuth::default(),
            connect_timeout: Duration::from_secs(30),
            replicas: 1,
        }
    }
}

impl NatsSettings {
    pub(super) fn read(p: &mut Parser<'_>) -> Self {
        let d = Self::default();
        let settings = Self {
            url: p.text("NATS_URL").unwrap_or(d.url),
            auth: NatsAuth::read(p),
            connect_timeout: p.secs("NATS_CONNECT_TIMEOUT_SECS", d.connect_timeout),
            replicas: p.bounded("NATS_REPLICAS", d.replicas, 1, 5),
        };
        if settings.urls().is_empty() {
            p.errors.push("NATS_URL: must name at least one server".into());
        }
        settings
    }

    /// The NATS server URLs, trimmed.
    pub fn urls(&self) -> Vec<String> {
        self.url.split(',').map(str::trim).filter(|u| !u.is_empty()).map(String::from).collect()
    }
}

impl NatsAuth {
    fn read(p: &mut Parser<'_>) -> Self {
        let auth = Self {
            user: p.text("NATS_USER"),
            password: p.text("NATS_PASSWORD").map(Secret),
            token: p.text("NATS_TOKEN").map(Secret),
            nkey_seed: p.text("NATS_NKEY_SEED").map(Secret),
            creds_file: p.file("NATS_CREDS_FILE"),
            tls_ca: p.file("NATS_TLS_CA"),
            tls_cert: p.file("NATS_TLS_CERT"),
            tls_key: p.file("NATS_TLS_KEY"),
            tls_required: p.parse("NATS_TLS_REQUIRED", false),
        };
        auth.check(&mut p.errors);
        auth
    }

    fn check(&self, errors: &mut Vec<String>) {
        if self.user.is_some() != self.password.is_some() {
            errors.push("NATS_USER and NATS_PASSWORD must be set together".into());
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            errors.push("NATS_TLS_CERT and NATS_TLS_KEY must be set together".into());
        }
        let methods = [self.user.is_some(), self.token.is_some(), self.nkey_seed.is_some(), self.creds_file.is_some()];
        if methods.iter().filter(|m| **m).count() > 1 {
            errors.push(
                "choose one NATS auth method: NATS_USER/NATS_PASSWORD, NATS_TOKEN, NATS_NKEY_SEED or NATS_CREDS_FILE"
                    .into(),
            );
        }
    }
}
