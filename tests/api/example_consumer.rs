//! The example consumer (`examples/revenue_consumer`, the reference a
//! downstream team copies) against a real nats-server while orders flow:
//! its per-customer revenue equals the totals of the orders that completed,
//! with the events of a consumer that died before acknowledging them
//! redelivered and dropped as duplicates.

#[path = "../../examples/revenue_consumer/revenue.rs"]
mod revenue;

use async_nats::jetstream;
use futures::StreamExt as _;
use futures::future::join_all;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::helpers::{TestApp, WAIT, eventually, order_body, spawn_app};
use revenue::{Line, Revenue};
use support::nats::NatsServer;

const CONSUMER: &str = "revenue-test";
const CUSTOMERS: [&str; 3] = ["cust-r1", "cust-r2", "cust-r3"];

/// Places nine orders at once: completing, declined and (for the scarce
/// SKU, after its first unit) out of stock, spread over the customers.
async fn place_wave(app: &TestApp, wave: i64) -> Vec<String> {
    let bodies: Vec<Value> = (0..9)
        .map(|i| {
            let customer = CUSTOMERS[i / 3 % CUSTOMERS.len()];
            let price = 100 * (wave * 10 + i as i64 + 1);
            let (sku, token) = match i % 3 {
                0 => ("SKU-R", "tok_visa"),
                1 => ("SKU-R", "tok_decline_card"),
                _ => ("SKU-SCARCE", "tok_visa"),
            };
            order_body(customer, &[(sku, 1, price)], token)
        })
        .collect();
    join_all(bodies.iter().map(|b| app.place_order(b))).await
}

/// The revenue lines the completed orders among `order_ids` add up to.
async fn completed_revenue(app: &TestApp, order_ids: &[String]) -> Vec<Line> {
    let mut lines: BTreeMap<(String, String), Line> = BTreeMap::new();
    for order_id in order_ids {
        let order = app.wait_terminal(order_id).await;
        if order["status"] != "COMPLETED" {
            continue;
        }
        let (customer, currency) = (order["customer_id"].as_str(), order["currency"].as_str());
        let (customer, currency) =
            (customer.expect("customer_id").to_string(), currency.expect("currency").to_string());
        let line = lines.entry((customer.clone(), currency.clone())).or_insert_with(|| Line {
            customer_id: customer,
            currency,
            ..Line::default()
        });
        line.orders += 1;
        line.amount_minor += order["total_minor"].as_i64().expect("total_minor");
    }
    lines.into_values().collect()
}

fn lines(tally: &Mutex<Revenue>) -> Vec<Line> {
    tally.lock().expect("tally lock").lines()
}

#[actix_web::test]
async fn the_example_consumer_counts_each_completed_order_once_per_customer_while_orders_flow() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    app.stock("SKU-R", 1000).await;
    app.stock("SKU-SCARCE", 1).await;
    let js = jetstream::new(async_nats::connect(nats.url()).await.expect("connect to NATS"));
    let tally = Arc::new(Mutex::new(Revenue::default()));

    // A first consumer process counts the first wave and dies before acking.
    let mut placed = place_wave(&app, 0).await;
    let first = completed_revenue(&app, &placed).await;
    let consumer = revenue::attach(&js, CONSUMER, Duration::from_secs(1)).await.expect("attach");
    let mut batch = consumer.fetch().max_messages(1000).messages().await.expect("fetch");
    while let Some(message) = batch.next().await {
        tally.lock().expect("tally lock").apply_message(&message.expect("message")).expect("applies");
    }
    assert_eq!(lines(&tally), first, "the first process's count");

    // Its successor resumes the durable consumer while the second wave flows.
    let consumer = revenue::attach(&js, CONSUMER, Duration::from_secs(1)).await.expect("attach again");
    let running = tally.clone();
    let task = actix_web::rt::spawn(async move { revenue::run(consumer, &running, |_| {}).await });
    placed.extend(place_wave(&app, 1).await);
    let expected = completed_revenue(&app, &placed).await;

    assert_eq!(expected.len(), CUSTOMERS.len(), "every customer completed orders: {expected:?}");
    let redelivered: u64 = first.iter().map(|l| l.orders).sum();
    let dropped = || tally.lock().expect("tally lock").duplicates;
    eventually(|| async { (lines(&tally) == expected && dropped() >= redelivered).then_some(()) }, WAIT).await;
    task.abort();
}
