//! Supervision helpers on top of actix.
//!
//! actix's `Supervisor` restarts an actor after `ctx.stop()` (same `Addr`,
//! `restarting()` resets state) but a panic in a handler would drop the
//! actor without restart. [`contain`] catches the panic, counts it, stops
//! the actor so its supervisor restarts it, and answers the caller with an
//! error instead of a closed mailbox.

use actix::{Actor, ActorContext, ActorFutureExt, Context, ResponseActFuture};
use futures::FutureExt;
use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use crate::metrics::Metrics;

/// Runs `fut` as the actor's reply; on panic stops the actor (its
/// supervisor restarts it) and replies with `crashed()`.
pub fn contain<A, T>(
    actor: &'static str,
    metrics: Arc<Metrics>,
    fut: impl Future<Output = T> + 'static,
    crashed: impl FnOnce(String) -> T + 'static,
) -> ResponseActFuture<A, T>
where
    A: Actor<Context = Context<A>>,
    T: 'static,
{
    let guarded = actix::fut::wrap_future::<_, A>(AssertUnwindSafe(fut).catch_unwind());
    Box::pin(guarded.map(move |result, _act, ctx| match result {
        Ok(value) => value,
        Err(panic) => {
            let message = panic_message(&*panic);
            tracing::error!(actor, panic = %message, "panic contained; stopping actor for restart");
            metrics.panicked(actor);
            ctx.stop();
            crashed(message)
        }
    }))
}

/// Logs and counts a restart; call from `Supervised::restarting`.
pub fn record_restart(actor: &'static str, metrics: &Metrics) {
    tracing::warn!(actor, "supervised actor restarting");
    metrics.restarted(actor);
}

/// The text of a panic payload.
pub fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        return (*s).to_string();
    }
    if let Some(s) = panic.downcast_ref::<String>() {
        return s.clone();
    }
    "non-string panic payload".to_string()
}
