//! NATS credentials and TLS: the service connects to a nats-server that
//! demands user/password *and* mutual TLS (a CA, server and client
//! certificates made by the test with rcgen) and grants only the
//! least-privilege account of `docker/k8s/nats-auth.conf`; a wrong password
//! fails start-up with an error naming the problem, within a bound.
//!
//! `SecureNats` is the shared `NatsServer` with a configuration of its own
//! (TLS, the account), ready once a client with the right credentials and
//! certificates connects and flushes.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use order_service::config::{NatsAuth, Secret, Settings};
use order_service::startup::Application;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

use support::nats::{NatsOptions, NatsServer};

use crate::helpers::{TestApp, WAIT, eventually, order_body, spawn_app_on, test_settings};

const USER: &str = "order-service";
const PASSWORD: &str = "s3cret-for-tests";
/// The documented least-privilege account, included by the test server.
const AUTH_CONF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docker/k8s/nats-auth.conf");

#[actix_web::test]
async fn service_runs_orders_and_changes_bucket_retention_over_mutual_tls_with_least_privilege_credentials() {
    let nats = SecureNats::start().await;
    assert!(plain_connect_is_refused(nats.port).await, "the test server must demand TLS");
    let mut settings = test_settings(&nats.url());
    settings.nats.auth = nats.auth(PASSWORD);

    let api = start(settings.clone()).await;
    api.stock("SKU-TLS", 3).await;
    let order_id = api.place_order(&order_body("cust-tls", &[("SKU-TLS", 1, 1999)], "tok_visa")).await;
    let order = api.wait_terminal(&order_id).await;
    assert_eq!(order["status"], "COMPLETED", "{order}");
    api.assert_stock_eventually("SKU-TLS", (2, 0)).await;
    // Operator reads: consumer info, message gets on ORDERS and DEAD_LETTERS.
    for path in [format!("/api/orders/{order_id}/timeline"), "/api/overview".into(), "/dlq".into()] {
        assert_eq!(api.get(&path).await.status().as_u16(), 200, "GET {path}");
    }
    api.shutdown().await;
    // A changed retention updates the existing buckets at the next start.
    let mut shorter = settings;
    shorter.retention.orders = Some(Duration::from_secs(31 * 86_400));
    let api = start(shorter).await;
    assert_eq!(api.wait_terminal(&order_id).await, order, "the order survives the restart");
    api.shutdown().await;

    let denied: Vec<String> = nats.log().lines().filter(|l| l.contains("Violation")).map(String::from).collect();
    assert!(denied.is_empty(), "the service needs permissions nats-auth.conf lacks:\n{}", denied.join("\n"));
}

/// Builds and runs the service in process; returns once `/ready` answers 200.
async fn start(settings: Settings) -> TestApp {
    let api = spawn_app_on(settings).await;
    eventually(|| async { (api.get("/ready").await.status().as_u16() == 200).then_some(()) }, WAIT).await;
    api
}

#[actix_web::test]
async fn wrong_nats_password_fails_start_up_with_an_authorization_error() {
    let nats = SecureNats::start().await;
    let mut settings = test_settings(&nats.url());
    settings.nats.auth = nats.auth("not-the-password");
    settings.nats.connect_timeout = Duration::from_secs(2);

    let started = Instant::now();
    let outcome = tokio::time::timeout(WAIT, Application::build(settings)).await;
    let elapsed = started.elapsed();

    let error = outcome.expect("start-up hung with a wrong password").expect_err("start-up must fail");
    let message = format!("{error:#}");
    assert!(message.to_lowercase().contains("authorization"), "error does not name the problem: {message}");
    assert!(elapsed < Duration::from_secs(10), "failing took {elapsed:?} with NATS_CONNECT_TIMEOUT_SECS=2");
}

/// A nats-server with JetStream, mutual TLS and the documented account.
#[derive(Debug)]
struct SecureNats {
    server: NatsServer,
    port: u16,
}

impl SecureNats {
    async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir for nats-server");
        write_pki(dir.path());
        std::fs::copy(AUTH_CONF, dir.path().join("nats-auth.conf")).expect("copy docker/k8s/nats-auth.conf");
        let options = NatsOptions {
            config: Some(server_config(dir.path())),
            env: vec![("ORDER_SERVICE_NATS_PASSWORD".into(), PASSWORD.into())],
            ..NatsOptions::default()
        };
        let mut server = NatsServer::spawn_in(dir, options).await;
        let port = server.url().rsplit(':').next().and_then(|p| p.parse().ok()).expect("port in nats URL");
        let dir = server.dir().to_path_buf();
        let _ = rustls::crypto::ring::default_provider().install_default();
        server.wait_until("accepts the credentials and certificates", |url| tls_client_flushes(url, dir.clone())).await;
        Self { server, port }
    }

    fn url(&self) -> String {
        format!("tls://127.0.0.1:{}", self.port)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.server.dir().join(file)
    }

    /// Credentials and client TLS as the service's `NATS_*` variables give them.
    fn auth(&self, password: &str) -> NatsAuth {
        NatsAuth {
            user: Some(USER.into()),
            password: Some(Secret(password.into())),
            tls_ca: Some(self.path("ca.pem")),
            tls_cert: Some(self.path("client.pem")),
            tls_key: Some(self.path("client-key.pem")),
            tls_required: true,
            ..NatsAuth::default()
        }
    }

    fn log(&self) -> String {
        self.server.log()
    }
}

/// Whether a client with the right credentials and certificates connects
/// and flushes.
async fn tls_client_flushes(url: String, dir: PathBuf) -> bool {
    let options = async_nats::ConnectOptions::new()
        .user_and_password(USER.into(), PASSWORD.into())
        .add_root_certificates(dir.join("ca.pem"))
        .add_client_certificate(dir.join("client.pem"), dir.join("client-key.pem"))
        .require_tls(true);
    matches!(options.connect(url).await, Ok(client) if client.flush().await.is_ok())
}

/// TLS and the account; the launcher's flags add the port, the store, the
/// ports file and the log.
fn server_config(dir: &Path) -> String {
    let at = |file: &str| dir.join(file).display().to_string();
    format!(
        r#"tls {{
    cert_file: "{cert}"
    key_file: "{key}"
    ca_file: "{ca}"
    verify: true
    timeout: 5
}}
include ./nats-auth.conf
"#,
        cert = at("server.pem"),
        key = at("server-key.pem"),
        ca = at("ca.pem"),
    )
}

/// A CA, a server certificate for 127.0.0.1/localhost and a client
/// certificate, as PEM files in `dir`.
fn write_pki(dir: &Path) {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    params.distinguished_name.push(DnType::CommonName, "order-service test CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().expect("CA key")).expect("CA certificate");
    write(dir, "ca.pem", &ca.pem());
    let server_names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
    write_leaf(dir, "server", &ca, server_names, ExtendedKeyUsagePurpose::ServerAuth);
    write_leaf(dir, "client", &ca, vec![USER.to_string()], ExtendedKeyUsagePurpose::ClientAuth);
}

fn write_leaf(dir: &Path, name: &str, ca: &Issuer<'_, KeyPair>, names: Vec<String>, usage: ExtendedKeyUsagePurpose) {
    let mut params = CertificateParams::new(names).expect("certificate parameters");
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = vec![usage];
    let key = KeyPair::generate().expect("key pair");
    let cert = params.signed_by(&key, ca).expect("sign certificate");
    write(dir, &format!("{name}.pem"), &cert.pem());
    write(dir, &format!("{name}-key.pem"), &key.serialize_pem());
}

fn write(dir: &Path, file: &str, pem: &str) {
    std::fs::write(dir.join(file), pem).unwrap_or_else(|e| panic!("write {file}: {e}"));
}

/// Whether a client without TLS or credentials is turned away.
async fn plain_connect_is_refused(port: u16) -> bool {
    let plain = async_nats::ConnectOptions::new().connection_timeout(Duration::from_secs(2));
    match plain.connect(format!("nats://127.0.0.1:{port}")).await {
        Ok(client) => client.flush().await.is_err(),
        Err(_) => true,
    }
}
