//! The shared, observable state of one supervised child, and the tree of
//! all of them (readiness and operators read it; the actor writes it).

use actix::{Actor, ActorFutureExt, AsyncContext, Context};
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use time::OffsetDateTime;

use super::{RestartDecision, RestartPolicy};
use crate::metrics::Metrics;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChildStatus {
    Running,
    Restarting,
    /// Over its restart intensity: down for the cool-down; service not ready.
    Escalated,
}

/// A point-in-time view of a child.
#[derive(Debug, Clone, Serialize)]
pub struct ChildSnapshot {
    pub name: &'static str,
    pub status: ChildStatus,
    pub restarts: u64,
    pub escalations: u64,
    pub last_failure: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_failure_at: Option<OffsetDateTime>,
    /// While restarting or escalated: when the child runs again.
    #[serde(with = "time::serde::rfc3339::option")]
    pub resumes_at: Option<OffsetDateTime>,
}

#[derive(Debug)]
struct State {
    status: ChildStatus,
    restarts: u64,
    escalations: u64,
    recent: VecDeque<Instant>,
    last_failure: Option<String>,
    last_failure_at: Option<OffsetDateTime>,
    resumes_at: Option<OffsetDateTime>,
}

/// One supervised child's policy and live state.
#[derive(Debug)]
pub struct SupervisedChild {
    name: &'static str,
    policy: RestartPolicy,
    metrics: Arc<Metrics>,
    state: Mutex<State>,
}

impl SupervisedChild {
    pub fn new(name: &'static str, policy: RestartPolicy, metrics: Arc<Metrics>) -> Arc<Self> {
        let state = State {
            status: ChildStatus::Running,
            restarts: 0,
            escalations: 0,
            recent: VecDeque::new(),
            last_failure: None,
            last_failure_at: None,
            resumes_at: None,
        };
        Arc::new(Self { name, policy, metrics, state: Mutex::new(state) })
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records why the child is about to stop (panic or broken state).
    pub fn failed(&self, cause: &str) {
        let mut s = self.lock();
        s.last_failure = Some(cause.to_string());
        s.last_failure_at = Some(OffsetDateTime::now_utc());
        self.metrics.panicked(self.name);
    }

    /// Call from `Supervised::restarting`: counts the restart and keeps the
    /// restarted actor from handling messages until the policy's delay has
    /// passed (callers' messages wait in the bounded mailbox).
    pub fn restarting<A>(self: &Arc<Self>, ctx: &mut Context<A>)
    where
        A: Actor<Context = Context<A>>,
    {
        let decision = {
            let mut s = self.lock();
            s.restarts += 1;
            let decision = self.policy.decide(&mut s.recent, Instant::now());
            s.status = match decision {
                RestartDecision::Backoff(_) => ChildStatus::Restarting,
                RestartDecision::Escalate(_) => {
                    s.escalations += 1;
                    ChildStatus::Escalated
                }
            };
            let delay = match decision {
                RestartDecision::Backoff(d) | RestartDecision::Escalate(d) => d,
            };
            s.resumes_at = Some(OffsetDateTime::now_utc() + delay);
            decision
        };
        self.metrics.restarted(self.name);
        let delay = match decision {
            RestartDecision::Backoff(d) => {
                tracing::warn!(actor = self.name, ?d, "supervised actor restarting after backoff");
                d
            }
            RestartDecision::Escalate(d) => {
                tracing::error!(actor = self.name, cooldown = ?d, "restart intensity exceeded; escalating: not ready, consumer paused");
                self.metrics.escalated(self.name);
                d
            }
        };
        let me = self.clone();
        ctx.wait(actix::fut::wrap_future::<_, A>(tokio::time::sleep(delay)).map(move |_, _, _| me.resumed()));
    }

    fn resumed(&self) {
        let mut s = self.lock();
        s.status = ChildStatus::Running;
        s.resumes_at = None;
        drop(s);
        tracing::info!(actor = self.name, "supervised actor running again");
    }

    pub fn is_escalated(&self) -> bool {
        self.lock().status == ChildStatus::Escalated
    }

    pub fn snapshot(&self) -> ChildSnapshot {
        let s = self.lock();
        ChildSnapshot {
            name: self.name,
            status: s.status,
            restarts: s.restarts,
            escalations: s.escalations,
            last_failure: s.last_failure.clone(),
            last_failure_at: s.last_failure_at,
            resumes_at: s.resumes_at,
        }
    }
}

/// Every supervised child of the service.
#[derive(Debug, Clone, Default)]
pub struct SupervisionTree {
    children: Vec<Arc<SupervisedChild>>,
}

impl SupervisionTree {
    pub fn with(mut self, child: Arc<SupervisedChild>) -> Self {
        self.children.push(child);
        self
    }

    /// True when no child is escalated (drives readiness and the consumer).
    pub fn is_healthy(&self) -> bool {
        !self.children.iter().any(|c| c.is_escalated())
    }

    pub fn snapshots(&self) -> Vec<ChildSnapshot> {
        self.children.iter().map(|c| c.snapshot()).collect()
    }
}
