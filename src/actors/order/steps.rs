//! The saga's steps: one function per non-terminal status, each doing its
//! effect through an actor and returning the order with the outcome applied.
//! Effects are idempotent (stock holds per order, payment idempotency key =
//! order id), so a step may safely run again after a crash.

use time::OffsetDateTime;

use super::{SagaDeps, SagaError, SagaErrorKind};
use crate::actors::inventory::{CommitStock, ConfirmStock, OrderRevision, ReleaseStock, Reservation, ReserveStock};
use crate::actors::payment::{ChargeRequest, PaymentOutcome};
use crate::domain::{Order, OrderStatus, Outcome};
use crate::telemetry::TraceContext;

/// Runs the step for the order's current status. The payment step is not
/// run here: the order actor asks for the payment and resumes the saga
/// with the answer (see [`charge_request`] and [`payment_outcome`]). An
/// order without a payment token fails here instead, before any stock is
/// held or, at the payment step, without calling the provider.
/// `revision` identifies this run to the stock records (see `domain::stock`).
pub(super) async fn advance(deps: &SagaDeps, order: &Order, revision: OrderRevision) -> Result<Order, SagaError> {
    let outcome = match order.status {
        OrderStatus::Pending | OrderStatus::StockReserved if !can_pay(order) => Outcome::NoPaymentToken,
        OrderStatus::Pending => reserve(deps, order, revision).await?,
        OrderStatus::PaymentCaptured => commit(deps, order, revision).await?,
        OrderStatus::Compensating => release(deps, order, revision).await?,
        OrderStatus::StockReserved | OrderStatus::Completed | OrderStatus::Failed => {
            return Err(SagaError::with_source(
                SagaErrorKind::Invalid,
                format!("order {}: no step to run at {}", order.order_id, order.status),
            ));
        }
    };
    apply(order, outcome)
}

/// The order with `outcome` applied (a copy: `order` is what is recorded).
pub(super) fn apply(order: &Order, outcome: Outcome) -> Result<Order, SagaError> {
    let mut next = order.clone();
    next.advance(outcome, OffsetDateTime::now_utc()).map_err(|e| SagaError::with_source(SagaErrorKind::Invalid, e))?;
    Ok(next)
}

/// Whether the order record holds a token to charge.
pub(super) fn can_pay(order: &Order) -> bool {
    !order.payment_token.is_empty()
}

fn skus(order: &Order) -> Vec<String> {
    order.items.iter().map(|i| i.sku.clone()).collect()
}

/// Tells the inventory that `order`'s record (as stored) shows the outcome
/// of its last stock step, so the SKUs' journal entries for it can go with
/// their next writes (see `domain::stock`). Fire and forget: a lost
/// confirmation costs bytes in a stock record, never stock, until the
/// inventory's sweep confirms it from the order record.
pub(super) fn confirm_stock(deps: &SagaDeps, order: &Order) {
    let Some(step) = order.stock_step_shown() else { return };
    deps.inventory.do_send(ConfirmStock { order_id: order.order_id.to_string(), skus: skus(order), step });
}

async fn reserve(deps: &SagaDeps, order: &Order, revision: OrderRevision) -> Result<Outcome, SagaError> {
    let msg = ReserveStock {
        order_id: order.order_id.to_string(),
        revision,
        items: order.items.clone(),
        trace: TraceContext::current(),
    };
    let reservation = match deps.inventory.send(msg).await? {
        Ok(reservation) => reservation,
        // Holds already taken were undone: the order fails cleanly.
        Err(e) if !e.is_transient() => return Ok(Outcome::Rejected { detail: e.to_string() }),
        Err(e) => return Err(SagaError::from(e)),
    };
    Ok(match reservation {
        Reservation::Reserved => Outcome::Reserved,
        Reservation::OutOfStock { sku, available, wanted } => {
            Outcome::OutOfStock { detail: format!("{sku}: wanted {wanted}, available {available}") }
        }
    })
}

/// What to ask the provider for an order whose stock is reserved.
pub(super) fn charge_request(order: &Order) -> ChargeRequest {
    ChargeRequest {
        order_id: order.order_id.to_string(),
        customer_id: order.customer_id.clone(),
        amount_minor: order.total_minor,
        currency: order.currency.to_string(),
        payment_token: order.payment_token.clone(),
    }
}

/// The payment step's outcome from the provider's answer.
pub(super) fn payment_outcome(answer: PaymentOutcome) -> Outcome {
    match answer {
        PaymentOutcome::Captured { charge_id } => Outcome::Captured { charge_id },
        PaymentOutcome::Declined { reason } => Outcome::Declined { detail: reason },
    }
}

async fn commit(deps: &SagaDeps, order: &Order, revision: OrderRevision) -> Result<Outcome, SagaError> {
    let msg = CommitStock {
        order_id: order.order_id.to_string(),
        revision,
        items: order.items.clone(),
        trace: TraceContext::current(),
    };
    deps.inventory.send(msg).await?.map_err(SagaError::from)?;
    Ok(Outcome::Completed)
}

async fn release(deps: &SagaDeps, order: &Order, revision: OrderRevision) -> Result<Outcome, SagaError> {
    let msg = ReleaseStock {
        order_id: order.order_id.to_string(),
        revision,
        items: order.items.clone(),
        may_reserve_again: false,
        trace: TraceContext::current(),
    };
    deps.inventory.send(msg).await?.map_err(SagaError::from)?;
    Ok(Outcome::Released)
}
