//! `Application`: builds the whole service (NATS, actors, HTTP) and runs it
//! until a signal or [`ShutdownHandle::shutdown`].
//!
//! The stop sequence and its budget live in `shutdown`; this module builds
//! the `ShutdownHandle` and starts it on SIGTERM/SIGINT.

use actix::{Actor, Addr, Arbiter, Supervisor};
use actix_web::{App, HttpServer, web};
use anyhow::Context as _;
use std::net::TcpListener;
use std::sync::Arc;

use crate::actors::intake::IntakeActor;
use crate::actors::inventory::InventoryActor;
use crate::actors::order::{SagaDeps, SettleSettings};
use crate::actors::payment::{PaymentActor, claim_lease};
use crate::actors::pool::{WorkerSettings, start_pool};
use crate::actors::supervision::{RestartPolicy, SupervisedChild, SupervisionTree};
use crate::bridge::{self, BridgeErrorKind, DeadLetterActor, JetStreamConsumer, JetStreamPublisher, Nats};
use crate::config::Settings;
use crate::domain::StockRecord;
use crate::http::{self, AppState};
use crate::metrics::Metrics;
use crate::ops::{self, OpsView, OrderTracker, PoolStats};
use crate::readiness::Readiness;
pub use crate::shutdown::ShutdownHandle;
use crate::shutdown::{ShutdownBudget, ShutdownParts, Stopping, wait_for_signal};

/// The running service.
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    handle: ShutdownHandle,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application").field("port", &self.port).finish()
    }
}

impl Application {
    /// Connects to NATS, ensures streams and buckets, starts every actor and
    /// binds HTTP. Must run inside an actix `System`.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let nats = bridge::connect(&settings).await.context("NATS setup failed")?;
        seed_inventory(&nats, &settings.sample_inventory).await?;
        let metrics = Arc::new(Metrics::new());
        let stopping = Stopping::default();
        let services = start_services(&settings, &nats, &metrics, &stopping)?;
        let tracker = Arc::new(OrderTracker::default());
        let publisher = JetStreamPublisher::new(nats.clone()).start();
        let deps = SagaDeps {
            orders: nats.orders.clone(),
            inventory: services.inventory.clone(),
            payment: services.payment.clone(),
            publisher: publisher.clone(),
            metrics: metrics.clone(),
            tracker: tracker.clone(),
            payment_lease: claim_lease(settings.payment.timeout),
        };
        let dead_letters = DeadLetterActor::new(nats.clone()).start();
        let pool = Arc::new(settings.pool.stats());
        let (consumer, in_flight, arbiters) =
            start_consuming(&settings, &nats, &deps, &services.tree, dead_letters.clone(), pool.clone(), &stopping);
        ops::spawn_sampler(tracker.clone(), metrics.clone(), settings.admin.stuck_after, pool.clone());
        let intake = IntakeActor::new(nats.clone(), publisher, metrics.clone())
            .with_timeout(settings.http.intake_timeout)
            .start();
        let readiness = Arc::new(readiness(&nats, &services, consumer.clone()));
        let state = AppState {
            intake,
            inventory: services.inventory.clone(),
            dead_letters,
            readiness: readiness.clone(),
            metrics,
            admin_token: settings.admin.token.clone(),
            ops: OpsView {
                tree: services.tree.clone(),
                pool,
                tracker,
                consumer: consumer.clone(),
                stuck_after: settings.admin.stuck_after,
                jaeger_ui_url: settings.admin.jaeger_ui_url.clone(),
                fault_injection: settings.admin.fault_injection,
                inventory: services.inventory.clone(),
                payment: services.payment.clone(),
                order_query: bridge::ScanLimits {
                    max_records: settings.admin.order_query_max_records,
                    deadline: crate::ops::ORDER_QUERY_DEADLINE,
                },
                stream: Arc::new(crate::ops::SnapshotHub::new(settings.admin.dashboard_stream_clients)),
            },
        };
        warn_if_open(&settings);
        let listener = TcpListener::bind(settings.http.addr)
            .with_context(|| format!("cannot bind HTTP_ADDR={}", settings.http.addr))?;
        let port = listener.local_addr()?.port();
        let limit = http::RateLimit::new(settings.http.rate_limit_per_sec, settings.http.rate_limit_burst);
        let server = http_server(state, limit, listener, &settings)?;
        let parts = ShutdownParts {
            server: server.handle(),
            consumer,
            readiness,
            nats,
            in_flight,
            budget: Arc::new(ShutdownBudget::new(settings.shutdown_timeout)),
            stopping,
            arbiters: std::sync::Mutex::new(arbiters),
        };
        Ok(Self { port, server, handle: ShutdownHandle::new(parts) })
    }

    pub fn http_port(&self) -> u16 {
        self.port
    }

    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.handle.clone()
    }

    /// The shutdown budget (started by the signal): `main` flushes
    /// telemetry within what is left of it.
    pub fn shutdown_budget(&self) -> Arc<ShutdownBudget> {
        self.handle.budget()
    }

    /// Serves until SIGINT/SIGTERM or [`ShutdownHandle::shutdown`].
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let mut server = self.server;
        let result = tokio::select! {
            // Stopped through a ShutdownHandle: its caller awaits the drain.
            result = &mut server => result,
            () = wait_for_signal() => {
                self.handle.signalled();
                // The Server future is actix-server's command loop: keep
                // polling it while the drain awaits ServerHandle::stop.
                let ((), result) = tokio::join!(self.handle.shutdown(), server);
                result
            }
        };
        result.context("HTTP server failed")
    }
}

/// The open default, said once at start-up.
fn warn_if_open(settings: &Settings) {
    if settings.admin.token.is_none() {
        tracing::warn!(
            "ADMIN_TOKEN is not set: admin routes (/dlq, /api/*, PUT /inventory) answer loopback clients \
             only; set ADMIN_TOKEN to reach them from elsewhere"
        );
    }
}

fn http_server(
    state: AppState,
    limit: http::RateLimit,
    listener: TcpListener,
    settings: &Settings,
) -> anyhow::Result<actix_web::dev::Server> {
    let data = web::Data::new(state);
    let limit = web::Data::new(limit);
    let body_timeout = web::Data::new(http::BodyTimeout(settings.http.body_timeout));
    let server = HttpServer::new(move || {
        App::new()
            .wrap(actix_web::middleware::from_fn(http::guard_body))
            .wrap(actix_web::middleware::from_fn(http::guard_admin))
            .wrap(actix_web::middleware::from_fn(http::limit_rate))
            .wrap(actix_web::middleware::from_fn(http::record_latency))
            .wrap(tracing_actix_web::TracingLogger::default())
            .app_data(data.clone())
            .app_data(limit.clone())
            .app_data(body_timeout.clone())
            .configure(http::configure)
    })
    .workers(settings.http.workers)
    .keep_alive(settings.http.keep_alive)
    .disable_signals()
    // Bounded again by the drain deadline in `ShutdownHandle::shutdown`.
    .shutdown_timeout(settings.shutdown_timeout.as_secs())
    .listen(listener)?
    .run();
    Ok(server)
}

/// The supervised service actors and their supervision tree.
struct Services {
    inventory: Addr<InventoryActor>,
    payment: Addr<PaymentActor>,
    tree: SupervisionTree,
}

fn start_services(
    settings: &Settings,
    nats: &Nats,
    metrics: &Arc<Metrics>,
    stopping: &Stopping,
) -> anyhow::Result<Services> {
    let capacity = settings.pool.mailbox_capacity;
    let policy = RestartPolicy::default();
    let inv_child = SupervisedChild::new("inventory", policy, metrics.clone());
    let pay_child = SupervisedChild::new("payment", policy, metrics.clone());
    let tree = SupervisionTree::default().with(inv_child.clone()).with(pay_child.clone());
    let (stock, orders) = (nats.inventory.clone(), nats.orders.clone());
    let inventory = Supervisor::start(move |ctx: &mut actix::Context<InventoryActor>| {
        ctx.set_mailbox_capacity(capacity);
        InventoryActor::new(stock, orders, inv_child)
    });
    let gateway = settings.payment.gateway().context("cannot build the payment HTTP client")?;
    let pay_metrics = metrics.clone();
    let stopping = stopping.clone();
    let payment = Supervisor::start(move |ctx: &mut actix::Context<PaymentActor>| {
        ctx.set_mailbox_capacity(capacity);
        PaymentActor::new(gateway, pay_child, pay_metrics, stopping)
    });
    Ok(Services { inventory, payment, tree })
}

type InFlight = Box<dyn Fn() -> usize + Send + Sync>;

/// Starts the worker pool and the saga consumer feeding it; the consumer
/// pauses while a supervised child is escalated.
fn start_consuming(
    settings: &Settings,
    nats: &Nats,
    deps: &SagaDeps,
    tree: &SupervisionTree,
    dead_letters: Addr<DeadLetterActor>,
    stats: Arc<PoolStats>,
    stopping: &Stopping,
) -> (Addr<JetStreamConsumer>, InFlight, Vec<Arbiter>) {
    let settle = SettleSettings {
        ack_wait: settings.saga.ack_wait,
        max_deliver: settings.saga.max_deliver,
        dead_letters,
        stats: stats.clone(),
        stopping: stopping.clone(),
    };
    let worker_settings = WorkerSettings { mailbox: settings.pool.mailbox_capacity, settle };
    let (workers, arbiters) = start_pool(deps, &worker_settings, settings.pool.size, settings.pool.threads);
    let capacity = settings.pool.capacity();
    let tree = tree.clone();
    let consumer =
        JetStreamConsumer::new(nats, workers, capacity).with_pause(move || !tree.is_healthy()).with_stats(stats);
    let in_flight: InFlight = Box::new(consumer.in_flight_probe(capacity));
    (consumer.start(), in_flight, arbiters)
}

fn readiness(nats: &Nats, services: &Services, consumer: Addr<JetStreamConsumer>) -> Readiness {
    let (inventory, payment, tree) = (services.inventory.clone(), services.payment.clone(), services.tree.clone());
    Readiness::new()
        .with_check("nats", nats.connection_probe())
        .with_check("consumer", move || consumer.connected())
        .with_check("streams", {
            let present = nats.watch_topology();
            move || present.load(std::sync::atomic::Ordering::SeqCst)
        })
        .with_check("inventory", move || inventory.connected())
        .with_check("payment", move || payment.connected())
        .with_check("supervision", move || tree.is_healthy())
}

/// Creates stock records that do not exist yet; never overwrites, so a
/// restart (or a second replica) does not reset stock.
async fn seed_inventory(nats: &Nats, stock: &[(String, u64)]) -> anyhow::Result<()> {
    for (sku, available) in stock {
        let record = StockRecord { available: *available, ..Default::default() };
        match nats.inventory.create(sku, &record).await {
            Ok(_) => tracing::info!(sku, available, "sample inventory created"),
            Err(e) if e.kind() == BridgeErrorKind::AlreadyExists => {}
            Err(e) => return Err(e).with_context(|| format!("cannot seed inventory for {sku}")),
        }
    }
    Ok(())
}
