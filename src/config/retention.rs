//! The `retention` section: how long order records and payment claims are
//! kept. The bounds follow from how long dead letters are kept: a replay
//! must still find its order and payment claim.

use std::time::Duration;

use super::parse::Parser;

/// How long dead letters are kept for inspection and replay.
pub const DEAD_LETTER_RETENTION_DAYS: u64 = 30;
/// Shortest `ORDER_RETENTION_DAYS` other than 0: a day longer than dead
/// letters are kept, so no replay can outlive its order.
pub const MIN_ORDER_RETENTION_DAYS: u32 = DEAD_LETTER_RETENTION_DAYS as u32 + 1;
/// Longest `ORDER_RETENTION_DAYS`: 100 years (the broker keeps `max_age` in
/// i64 nanoseconds, about 292 years).
pub const MAX_ORDER_RETENTION_DAYS: u32 = 36_500;
const DAY: Duration = Duration::from_secs(24 * 3600);

/// How long records are kept.
#[derive(Debug, Clone)]
pub struct RetentionSettings {
    /// `ORDER_RETENTION_DAYS`: order records and payment claims are removed
    /// this long after their last change (`None` = kept forever). At least
    /// [`MIN_ORDER_RETENTION_DAYS`]: a dead letter can be replayed for 30
    /// days, and its replay must still find the order and its payment claim.
    pub orders: Option<Duration>,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self { orders: Some(DAY * 90) }
    }
}

impl RetentionSettings {
    pub(super) fn read(p: &mut Parser<'_>) -> Self {
        Self { orders: order_days(p, "ORDER_RETENTION_DAYS", Self::default().orders) }
    }

    /// The orders bucket's `max_age`: zero keeps records forever.
    pub fn orders_max_age(&self) -> Duration {
        self.orders.unwrap_or(Duration::ZERO)
    }
}

/// Days, 0 = forever (`None`); otherwise from [`MIN_ORDER_RETENTION_DAYS`]
/// to [`MAX_ORDER_RETENTION_DAYS`].
fn order_days(p: &mut Parser<'_>, name: &str, default: Option<Duration>) -> Option<Duration> {
    let Some(text) = p.text(name) else {
        return default;
    };
    match text.parse::<u32>() {
        Ok(0) => None,
        Ok(days) if (MIN_ORDER_RETENTION_DAYS..=MAX_ORDER_RETENTION_DAYS).contains(&days) => Some(DAY * days),
        _ => {
            let why = format!(
                "must be 0 (keep forever) or from {MIN_ORDER_RETENTION_DAYS} to {MAX_ORDER_RETENTION_DAYS}: dead \
                 letters are kept {DEAD_LETTER_RETENTION_DAYS} days and a replay needs its order and payment claim"
            );
            p.fail(name, &text, why, default)
        }
    }
}
