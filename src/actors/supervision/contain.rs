//! Panic containment for actor handlers.
//!
//! A contained reply runs as a task of its own on the actor's arbiter
//! (`ResponseFuture`), not inside the actor's context: actix polls every
//! future held by a context on each wake-up, so thousands of in-flight
//! payment calls held there made each event cost O(in-flight). A panic is
//! caught in the task, recorded on the child, and the actor is told to stop
//! ([`Restart`]) so its `Supervisor` restarts it; other in-flight replies
//! are not cancelled by that restart.

use actix::{Actor, ActorContext, Addr, Context, Handler, ResponseFuture};
use futures::FutureExt;
use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use super::SupervisedChild;

/// Stop now so the `Supervisor` restarts the actor (sent by a contained
/// reply that panicked).
#[derive(Debug, actix::Message)]
#[rtype(result = "()")]
pub struct Restart;

/// Handles [`Restart`] for a supervised actor.
pub fn restart<A>(ctx: &mut Context<A>)
where
    A: Actor<Context = Context<A>>,
{
    ctx.stop();
}

/// Runs `fut` as the actor's reply; on panic records it on `child`, stops
/// the actor at `addr` (its `Supervisor` restarts it per the child's
/// policy) and replies with `crashed(message)`.
pub fn contain<A, T>(
    addr: Addr<A>,
    child: Arc<SupervisedChild>,
    fut: impl Future<Output = T> + 'static,
    crashed: impl FnOnce(String) -> T + 'static,
) -> ResponseFuture<T>
where
    A: Actor<Context = Context<A>> + Handler<Restart>,
    T: 'static,
{
    Box::pin(guard(addr, child, fut, crashed))
}

/// [`contain`] without the box: for a reply the handler spawns itself (the
/// task then holds the future inline, one allocation instead of two).
pub fn guard<A, T>(
    addr: Addr<A>,
    child: Arc<SupervisedChild>,
    fut: impl Future<Output = T> + 'static,
    crashed: impl FnOnce(String) -> T + 'static,
) -> impl Future<Output = T> + 'static
where
    A: Actor<Context = Context<A>> + Handler<Restart>,
    T: 'static,
{
    // A combinator, not an `async` block: a block would store `fut` twice
    // (as its capture and as the awaited future), doubling every reply.
    AssertUnwindSafe(fut).catch_unwind().map(move |result| match result {
        Ok(value) => value,
        Err(panic) => {
            let message = panic_message(&*panic);
            tracing::error!(actor = child.name(), panic = %message, "panic contained; stopping actor for restart");
            child.failed(&format!("panic: {message}"));
            addr.do_send(Restart);
            crashed(message)
        }
    })
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
pub fn inject_panic<A>(
    addr: Addr<A>,
    child: Arc<SupervisedChild>,
    msg: InjectPanic,
) -> ResponseFuture<Result<(), String>>
where
    A: Actor<Context = Context<A>> + Handler<Restart>,
{
    let injected = async move {
        if !msg.reason.is_empty() {
            panic!("injected fault: {}", msg.reason);
        }
        Ok(())
    };
    contain(addr, child, injected, Err)
}
