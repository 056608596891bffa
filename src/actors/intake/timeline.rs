//! `GetTimeline`: everything an operator needs about one order — its record
//! (status history), its events with stream sequences and times, and its
//! payment claim (attempts, outcome; kept in the order record).

use actix::{Context, Handler, ResponseFuture};
use serde::Serialize;

use super::{IntakeActor, IntakeError};
use crate::bridge::StoredEvent;
use crate::domain::{Order, OrderId, PaymentRecord};

/// Read an order's timeline; `None` if the order does not exist.
#[derive(Debug, actix::Message)]
#[rtype(result = "Result<Option<Timeline>, IntakeError>")]
pub struct GetTimeline {
    pub order_id: OrderId,
}

#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    pub order: Order,
    pub events: Vec<TimelineEvent>,
    pub payment: Option<PaymentRecord>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimelineEvent {
    pub event: String,
    pub sequence: u64,
    #[serde(flatten)]
    pub stored: Option<StoredEvent>,
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
