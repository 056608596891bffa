//! The order mix: which SKUs, quantities, prices and payment tokens each
//! order has, decided deterministically from (seed, sequence number) so any
//! task can plan any order without shared state, and the same planned order
//! feeds both the HTTP load and the raw ceiling.
//!
//! In-stock SKUs get a stock far above anything a run can sell; a share of
//! orders has one line on a SKU with 0 stock (→ FAILED OUT_OF_STOCK) and a
//! share pays with a `tok_decline` token (→ FAILED PAYMENT_DECLINED).

use serde::Serialize;

use crate::cli::Args;

/// Stock of every in-stock SKU: never runs out within a benchmark.
pub(crate) const PLENTY: u64 = 1_000_000_000;
const OUT_OF_STOCK_SKUS: usize = 2;
const CUSTOMERS: u64 = 10_000;

/// The terminal outcome an order must reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expected {
    Completed,
    OutOfStock,
    Declined,
}

/// One order line as sent in `POST /orders`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Line {
    pub(crate) sku: String,
    pub(crate) quantity: u32,
    pub(crate) unit_price_minor: i64,
}

/// One order to send.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Planned {
    pub(crate) customer_id: String,
    pub(crate) items: Vec<Line>,
    pub(crate) currency: &'static str,
    pub(crate) payment_token: &'static str,
    #[serde(skip)]
    pub(crate) idempotency_key: String,
    #[serde(skip)]
    pub(crate) expected: Expected,
}

/// Deterministic order mix of one run.
#[derive(Debug, Clone)]
pub(crate) struct Mix {
    seed: u64,
    run_id: String,
    in_stock: Vec<String>,
    out_of_stock: Vec<String>,
    oos_share: f64,
    decline_share: f64,
    max_items: usize,
    min_items: usize,
}

impl Mix {
    pub(crate) fn new(args: &Args) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        Self {
            seed: args.seed,
            // Idempotency keys live 7 days in the service: make them unique per run.
            run_id: format!("{:x}-{}", nanos, std::process::id()),
            in_stock: (0..args.skus).map(|i| format!("lg-sku-{i:03}")).collect(),
            out_of_stock: (0..OUT_OF_STOCK_SKUS).map(|i| format!("lg-oos-{i}")).collect(),
            oos_share: args.out_of_stock_share,
            decline_share: args.decline_share,
            max_items: args.max_items.min(args.skus).max(1),
            min_items: args.min_items.min(args.max_items).min(args.skus).max(1),
        }
    }

    /// The same mix with its own Idempotency-Keys, for one run of one scenario
    /// (a repeated key would be answered with the earlier order).
    pub(crate) fn for_run(&self, label: &str) -> Self {
        Self { run_id: format!("{}-{label}", self.run_id), ..self.clone() }
    }

    /// Every SKU with the stock it must have before the run.
    pub(crate) fn stock_levels(&self) -> Vec<(String, u64)> {
        let stocked = self.in_stock.iter().map(|s| (s.clone(), PLENTY));
        stocked.chain(self.out_of_stock.iter().map(|s| (s.clone(), 0))).collect()
    }

    /// The order with sequence number `seq` (same seed + seq → same order).
    pub(crate) fn plan(&self, seq: u64) -> Planned {
        let mut rng = SplitMix(self.seed ^ seq.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let spread = (self.max_items - self.min_items + 1) as u64;
        let lines = self.min_items + rng.below(spread) as usize;
        let first = rng.below(self.in_stock.len() as u64) as usize;
        let mut items: Vec<Line> = (0..lines)
            .map(|i| Line {
                sku: self.in_stock[(first + i) % self.in_stock.len()].clone(),
                quantity: 1 + rng.below(3) as u32,
                unit_price_minor: 100 + 10 * rng.below(500) as i64,
            })
            .collect();
        let out_of_stock = rng.chance(self.oos_share);
        if out_of_stock {
            let sku = &self.out_of_stock[rng.below(self.out_of_stock.len() as u64) as usize];
            items[0].sku = sku.clone();
        }
        let declined = rng.chance(self.decline_share);
        let expected = match (out_of_stock, declined) {
            // Stock is reserved before payment: an unavailable SKU fails first.
            (true, _) => Expected::OutOfStock,
            (false, true) => Expected::Declined,
            (false, false) => Expected::Completed,
        };
        Planned {
            customer_id: format!("lg-customer-{}", rng.below(CUSTOMERS)),
            items,
            currency: "USD",
            payment_token: if declined { "tok_decline_loadgen" } else { "tok_visa" },
            idempotency_key: format!("lg-{}-{seq}", self.run_id),
            expected,
        }
    }
}

/// splitmix64: tiny, fast, good enough to spread a mix.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p && p > 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn mix(extra: &[&str]) -> Mix {
        let args = Args::parse_from(std::iter::once("loadgen").chain(extra.iter().copied()));
        Mix::new(&args)
    }

    #[test]
    fn the_same_sequence_number_plans_the_same_order() {
        let mix = mix(&[]);
        let (a, b) = (mix.plan(7), mix.plan(7));
        assert_eq!(serde_json::to_string(&a).ok(), serde_json::to_string(&b).ok());
        assert_eq!(a.idempotency_key, b.idempotency_key);
        assert_ne!(a.idempotency_key, mix.plan(8).idempotency_key);
    }

    #[test]
    fn shares_are_roughly_respected() {
        let mix = mix(&["--out-of-stock-share", "0.1", "--decline-share", "0.2"]);
        let plans: Vec<Planned> = (0..10_000).map(|s| mix.plan(s)).collect();
        let count = |e: Expected| plans.iter().filter(|p| p.expected == e).count();
        assert!((800..1200).contains(&count(Expected::OutOfStock)));
        assert!((1600..2000).contains(&count(Expected::Declined)));
        assert!(plans.iter().all(|p| p.items.iter().all(|l| l.quantity >= 1)));
    }

    #[test]
    fn zero_shares_plan_only_orders_that_complete() {
        let mix = mix(&["--out-of-stock-share", "0", "--decline-share", "0"]);
        assert!((0..1000).all(|s| mix.plan(s).expected == Expected::Completed));
    }
}
