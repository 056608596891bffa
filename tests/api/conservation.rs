//! Inventory conservation: after a concurrent mixed batch (completions,
//! declines, out of stock) no unit is lost, double-counted or left reserved.

use std::collections::HashMap;

use futures::future::join_all;
use serde_json::Value;

use crate::helpers::{order_body, spawn_app};
use support::nats::NatsServer;

type Items = &'static [(&'static str, u64, i64)];

const INITIAL: [(&str, u64); 3] = [("SKU-A", 10), ("SKU-B", 3), ("SKU-C", 5)];

const BATCH: [(Items, &str); 12] = [
    (&[("SKU-A", 2, 100)], "tok_visa"),
    (&[("SKU-A", 3, 100), ("SKU-B", 1, 250)], "tok_visa"),
    (&[("SKU-B", 1, 250)], "tok_visa"),
    (&[("SKU-B", 1, 250)], "tok_visa"),
    (&[("SKU-B", 2, 250)], "tok_visa"),
    (&[("SKU-A", 1, 100), ("SKU-C", 1, 900)], "tok_decline_a"),
    (&[("SKU-C", 1, 900)], "tok_decline_b"), // always declined: C is never short
    (&[("NEVER-STOCKED", 1, 10)], "tok_visa"), // always out of stock
    (&[("SKU-A", 4, 100)], "tok_visa"),
    (&[("SKU-A", 1, 100), ("NEVER-STOCKED", 1, 10)], "tok_visa"),
    (&[("SKU-A", 3, 100), ("SKU-B", 1, 250)], "tok_decline_c"),
    (&[("SKU-C", 2, 900)], "tok_visa"), // always completes
];

#[actix_web::test]
async fn inventory_is_conserved_after_a_mixed_concurrent_batch() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    for (sku, available) in INITIAL {
        app.stock(sku, available).await;
    }

    let bodies: Vec<Value> =
        BATCH.iter().enumerate().map(|(i, (items, token))| order_body(&format!("cust-{i}"), items, token)).collect();
    let ids = join_all(bodies.iter().map(|b| app.place_order(b))).await;
    let orders = join_all(ids.iter().map(|id| app.wait_terminal(id))).await;

    let outcome = |o: &Value| (o["status"].as_str().map(String::from), o["failure_reason"].as_str().map(String::from));
    let outcomes: Vec<_> = orders.iter().map(outcome).collect();
    for expected in [("COMPLETED", None), ("FAILED", Some("PAYMENT_DECLINED")), ("FAILED", Some("OUT_OF_STOCK"))] {
        let expected = (Some(expected.0.to_string()), expected.1.map(String::from));
        assert!(outcomes.contains(&expected), "no {expected:?} in {outcomes:?}");
    }
    let mut sold: HashMap<&str, u64> = HashMap::new();
    for ((items, _), order) in BATCH.iter().zip(&orders) {
        if order["status"] == "COMPLETED" {
            for (sku, quantity, _) in items.iter() {
                *sold.entry(sku).or_default() += quantity;
            }
        }
    }
    for (sku, initial) in INITIAL {
        let sold = sold.get(sku).copied().unwrap_or(0);
        let expected = initial.checked_sub(sold).unwrap_or_else(|| panic!("{sku}: sold {sold} of {initial}"));
        app.assert_stock_eventually(sku, (expected, 0)).await;
    }
    let never = app.get_stock("NEVER-STOCKED").await;
    if never.status().as_u16() != 404 {
        assert_eq!(app.stock_levels("NEVER-STOCKED").await, (0, 0), "a never-stocked SKU gained stock");
    }
    for (id, order) in ids.iter().zip(&orders) {
        let events = app.terminal_events(id).await;
        let count = |subject: &str| events.iter().filter(|e| e.subject == subject).count();
        let terminal = if order["status"] == "COMPLETED" { "ORDER.completed" } else { "ORDER.failed" };
        assert_eq!(count("ORDER.created"), 1, "ORDER.created of {id}");
        assert_eq!(count("ORDER.completed") + count("ORDER.failed"), 1, "terminal events of {id}");
        assert_eq!(count(terminal), 1, "{terminal} of {id} ({order})");
    }
}
