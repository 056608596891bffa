//! `GetTimeline`: reads what an operator needs about one order — its record,
//! each of its events from the `ORDERS` stream by sequence, and its payment
//! claim (kept in the order record) — into an [`ops::Timeline`](Timeline).
//! Fails with the record read's error; an event that cannot be read is
//! listed without its stored message.

use actix::{Context, Handler, ResponseFuture};

use super::{IntakeActor, IntakeError};
use crate::domain::OrderId;
use crate::ops::{Timeline, TimelineEvent};

/// Read an order's timeline; `None` if the order does not exist.
#[derive(Debug, actix::Message)]
#[rtype(result = "Result<Option<Timeline>, IntakeError>")]
pub struct GetTimeline {
    pub order_id: OrderId,
}

impl Handler<GetTimeline> for IntakeActor {
    type Result = ResponseFuture<Result<Option<Timeline>, IntakeError>>;

    fn handle(&mut self, msg: GetTimeline, _ctx: &mut Context<Self>) -> Self::Result {
        let nats = self.nats.clone();
        Box::pin(async move {
            let Some(order) = nats.orders.get(msg.order_id.as_str()).await?.map(|v| v.value) else {
                return Ok(None);
            };
            let payment = order.payment.clone();
            let mut events = Vec::with_capacity(order.events.len());
            for e in &order.events {
                let stored = nats.event_at(e.sequence).await.ok().flatten();
                events.push(TimelineEvent { event: e.event.clone(), sequence: e.sequence, stored });
            }
            Ok(Some(Timeline { order, events, payment }))
        })
    }
}
