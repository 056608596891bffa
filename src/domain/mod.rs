//! Domain types: orders, items, money and the order status machine.
//!
//! Pure logic with no actix, prost or NATS imports. Validation of incoming
//! orders lives here so every entry point enforces the same rules.

mod idempotency;
mod money;
mod order;
mod payment;
mod status;
mod stock;
mod text;
mod validation;

pub use idempotency::{fingerprint, order_id_for_key};
pub use money::{Currency, Money};
pub use order::{EventRef, Order, OrderId, OrderItem, Outcome, StatusChange};
pub use payment::{ClaimDecision, PaymentRecord, PaymentState};
pub use status::{FailureReason, OrderStatus, TransitionError};
pub use stock::{FENCE_RETENTION_SECS, JournalEntry, StockChange, StockLevels, StockRecord, StockStamp, StockStep};
pub use validation::{
    NewOrder, NewOrderItem, Rule, SKU_GRAMMAR, SKU_RULE, ValidOrder, ValidationError, is_valid_sku, limits,
};
