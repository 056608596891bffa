//! `WorkerActor`: takes `ORDER.created` / `ORDER.replayed` deliveries from
//! its bounded mailbox, decodes each and hands it to a new `OrderActor`,
//! which runs the saga and settles the delivery (ack, nak or dead letter).
//! While those orders run, the worker's one timer sends the in-progress
//! acks of all their deliveries (`order::KeepAlive`).
//!
//! An undecodable or invalid payload is poison: it is dead-lettered and
//! terminated here (never redelivered, never blocks the orders behind it)
//! and no order actor is started. A panic while decoding is contained and
//! treated the same way: the payload would panic on every delivery.

use actix::{Actor, Arbiter, AsyncContext, Context, Handler, Recipient};
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::Arc;

use crate::actors::order::{self, Assignment, KeepAlive, OrderActor, SagaDeps, SettleSettings};
use crate::bridge::{Delivery, HandleDelivery};
use crate::contracts::{EventKind, order_from_created};
use crate::domain::Order;

/// Settings shared by every worker.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub mailbox: usize,
    pub settle: SettleSettings,
}

#[derive(Debug)]
pub struct WorkerActor {
    index: usize,
    /// Shared: cloning `SagaDeps` allocates once per actor address in it.
    deps: Arc<SagaDeps>,
    settle: Arc<SettleSettings>,
    /// In-progress acks for the deliveries of this worker's running orders.
    keep_alive: Rc<KeepAlive>,
}

impl Actor for WorkerActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(order::keep_alive_period(self.settle.ack_wait), |act, _ctx| act.keep_alive.tick());
    }
}

impl Handler<HandleDelivery> for WorkerActor {
    type Result = ();

    fn handle(&mut self, msg: HandleDelivery, _ctx: &mut Context<Self>) {
        let delivery = msg.delivery;
        self.settle.stats.started(self.index);
        if delivery.delivered() > 1 {
            self.deps.metrics.redeliveries.inc();
        }
        match decode(&delivery) {
            Ok(order) => self.assign(delivery, order),
            Err(reason) => self.dead_letter(delivery, reason),
        }
    }
}

impl WorkerActor {
    /// The order actor gets the delivery without its payload and headers
    /// (it keeps them for the whole run): the trace is read from them here.
    fn assign(&self, delivery: Delivery, order: Order) {
        let (deps, settings, worker) = (self.deps.clone(), self.settle.clone(), self.index);
        let trace = delivery.trace();
        let (delivery, order, keep_alive) = (delivery.into_held(), Box::new(order), self.keep_alive.clone());
        OrderActor::start_run(Assignment { deps, settings, worker, delivery, keep_alive, order, trace });
    }

    fn dead_letter(&self, delivery: Delivery, reason: String) {
        let (deps, settings, worker) = (self.deps.clone(), self.settle.clone(), self.index);
        let letter = delivery.dead_letter(reason);
        let delivery = delivery.into_held();
        actix::spawn(async move {
            order::dead_letter(&deps.metrics, &settings, letter, &delivery).await;
            settings.stats.finished(worker);
        });
    }
}

/// The order an `ORDER.created` / `ORDER.replayed` delivery carries, or why
/// it is poison.
fn decode(delivery: &Delivery) -> Result<Order, String> {
    let decoded = std::panic::catch_unwind(AssertUnwindSafe(|| order_from_created(delivery.payload())));
    let mut order = match decoded {
        Ok(Ok(order)) => order,
        Ok(Err(e)) => return Err(format!("poison: {e}")),
        Err(panic) => {
            return Err(format!("poison: decoding panicked: {}", crate::actors::supervision::panic_message(&*panic)));
        }
    };
    if delivery.order_id().is_some_and(|h| h != order.order_id.as_str()) {
        return Err("Order-Id header does not match the payload".to_string());
    }
    if delivery.subject() != crate::bridge::subjects::REPLAY {
        // Intake writes its record while publishing, before it knows the
        // sequence: the saga records it from here.
        order.record_event(EventKind::Created.name(), delivery.stream_sequence());
    }
    Ok(order)
}

/// Starts `size` workers over up to `threads` arbiters (0 = on the
/// caller's arbiter); returns their recipients and the arbiters (kept
/// alive by the caller). Each order actor runs on its worker's arbiter.
pub fn start_pool(
    deps: &SagaDeps,
    settings: &WorkerSettings,
    size: usize,
    threads: usize,
) -> (Vec<Recipient<HandleDelivery>>, Vec<Arbiter>) {
    let arbiters: Vec<Arbiter> = (0..threads.min(size)).map(|_| Arbiter::new()).collect();
    let deps = Arc::new(deps.clone());
    let settle = Arc::new(settings.settle.clone());
    let workers = (0..size)
        .map(|i| {
            let (deps, settle, mailbox) = (deps.clone(), settle.clone(), settings.mailbox);
            // No arbiters: the workers share the caller's (system) thread.
            let arbiter = match arbiters.is_empty() {
                true => Arbiter::current(),
                false => arbiters[i % arbiters.len()].handle(),
            };
            let addr = WorkerActor::start_in_arbiter(&arbiter, move |ctx| {
                ctx.set_mailbox_capacity(mailbox);
                WorkerActor { index: i, deps, settle, keep_alive: Rc::default() }
            });
            addr.recipient()
        })
        .collect();
    (workers, arbiters)
}
