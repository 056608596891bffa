//! Panic containment for actor handlers.

use actix::{Actor, ActorContext, ActorFutureExt, Context, ResponseActFuture};
use futures::FutureExt;
use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use super::SupervisedChild;

/// Runs `fut` as the actor's reply; on panic records it on `child`, stops
/// the actor (its `Supervisor` restarts it per the child's policy) and
/// replies with `crashed(message)`.
pub fn contain<A, T>(
    child: Arc<SupervisedChild>,
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
            tracing::error!(actor = child.name(), panic = %message, "panic contained; stopping actor for restart");
            child.failed(&format!("panic: {message}"));
            ctx.stop();
            crashed(message)
        }
    }))
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

/// Fault injection: make the actor panic inside a contained handler (used
/// by tests and chaos drills; the HTTP route exists only when
/// `FAULT_INJECTION=true`).
#[derive(Debug, actix::Message)]
#[rtype(result = "Result<(), String>")]
pub struct InjectPanic {
    pub reason: String,
}

/// The reply to [`InjectPanic`]: panics inside a contained future.
pub fn inject_panic<A>(child: Arc<SupervisedChild>, msg: InjectPanic) -> ResponseActFuture<A, Result<(), String>>
where
    A: Actor<Context = Context<A>>,
{
    let injected = async move {
        if !msg.reason.is_empty() {
            panic!("injected fault: {}", msg.reason);
        }
        Ok(())
    };
    contain(child, injected, Err)
}
