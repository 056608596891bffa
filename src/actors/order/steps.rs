//! The saga's steps: one function per non-terminal status, each doing its
//! effect through an actor and returning the order with the outcome applied.
//! Effects are idempotent (stock holds per order, payment idempotency key =
//! order id), so a step may safely run again after a crash.

use time::OffsetDateTime;

use super::{SagaDeps, SagaError};
use crate::actors::inventory::{CommitStock, ReleaseStock, Reservation, ReserveStock, SagaRun};
use crate::actors::payment::{CapturePayment, ChargeRequest, PaymentOutcome};
use crate::domain::{Order, OrderStatus, Outcome};
use crate::telemetry::TraceContext;

/// Runs the step for the order's current status.
/// `run` identifies this run to the stock records (see `domain::stock`).
pub(super) async fn advance(deps: &SagaDeps, order: &Order, run: SagaRun) -> Result<Order, SagaError> {
    let outcome = match order.status {
        OrderStatus::Pending => reserve(deps, order, run).await?,
        OrderStatus::StockReserved => capture(deps, order).await?,
        OrderStatus::PaymentCaptured => commit(deps, order, run).await?,
        OrderStatus::Compensating => release(deps, order, run).await?,
        OrderStatus::Completed | OrderStatus::Failed => {
            return Err(SagaError::Permanent(format!("order {} is already terminal", order.order_id)));
        }
    };
    let mut next = order.clone();
    next.advance(outcome, OffsetDateTime::now_utc()).map_err(|e| SagaError::Permanent(e.to_string()))?;
    Ok(next)
}

fn skus(order: &Order) -> Vec<String> {
    order.items.iter().map(|i| i.sku.clone()).collect()
}

async fn reserve(deps: &SagaDeps, order: &Order, run: SagaRun) -> Result<Outcome, SagaError> {
    let msg = ReserveStock {
        order_id: order.order_id.to_string(),
        run,
        items: order.items.clone(),
        trace: TraceContext::current(),
    };
    let reservation = deps.inventory.send(msg).await?.map_err(|e| SagaError::Transient(e.to_string()))?;
    Ok(match reservation {
        Reservation::Reserved => Outcome::Reserved,
        Reservation::OutOfStock { sku, available, wanted } => {
            Outcome::OutOfStock { detail: format!("{sku}: wanted {wanted}, available {available}") }
        }
    })
}

async fn capture(deps: &SagaDeps, order: &Order) -> Result<Outcome, SagaError> {
    let request = ChargeRequest {
        order_id: order.order_id.to_string(),
        customer_id: order.customer_id.clone(),
        amount_minor: order.total_minor,
        currency: order.currency.to_string(),
        payment_token: order.payment_token.clone(),
        idempotency_key: order.order_id.to_string(),
    };
    let outcome = deps
        .payment
        .send(CapturePayment { request, trace: TraceContext::current() })
        .await?
        .map_err(|e| SagaError::Transient(e.to_string()))?;
    Ok(match outcome {
        PaymentOutcome::Captured { charge_id } => Outcome::Captured { charge_id },
        PaymentOutcome::Declined { reason } => Outcome::Declined { detail: reason },
    })
}

async fn commit(deps: &SagaDeps, order: &Order, run: SagaRun) -> Result<Outcome, SagaError> {
    let msg =
        CommitStock { order_id: order.order_id.to_string(), run, skus: skus(order), trace: TraceContext::current() };
    deps.inventory.send(msg).await?.map_err(|e| SagaError::Transient(e.to_string()))?;
    Ok(Outcome::Completed)
}

async fn release(deps: &SagaDeps, order: &Order, run: SagaRun) -> Result<Outcome, SagaError> {
    let msg =
        ReleaseStock { order_id: order.order_id.to_string(), run, skus: skus(order), trace: TraceContext::current() };
    deps.inventory.send(msg).await?.map_err(|e| SagaError::Transient(e.to_string()))?;
    Ok(Outcome::Released)
}
