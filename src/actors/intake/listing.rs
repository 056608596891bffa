//! `ListOrders`: one page of the operator's order list, read from the
//! `orders` bucket's stream within the query's [`ScanLimits`]. Writes
//! nothing; fails with the scan's error (too wide, timed out, NATS).

use actix::{Context, Handler, ResponseFuture};
use time::OffsetDateTime;

use super::IntakeActor;
use crate::bridge::{ScanError, ScanLimits};
use crate::ops::{Listing, OrderQuery, PageBuilder};

/// Read one page of orders matching `query`.
#[derive(Debug, actix::Message)]
#[rtype(result = "Result<Listing, ScanError>")]
pub struct ListOrders {
    pub query: OrderQuery,
    pub limits: ScanLimits,
}

impl Handler<ListOrders> for IntakeActor {
    type Result = ResponseFuture<Result<Listing, ScanError>>;

    fn handle(&mut self, msg: ListOrders, _ctx: &mut Context<Self>) -> Self::Result {
        let nats = self.nats.clone();
        Box::pin(async move {
            // Records last changed before `since` were created before it too.
            let since = msg.query.since;
            let mut builder = PageBuilder::new(msg.query, OffsetDateTime::now_utc());
            let stats = nats.scan_orders(since, msg.limits, &mut |order| builder.offer(order)).await?;
            Ok(Listing { page: builder.finish(), scanned: stats.read })
        })
    }
}
