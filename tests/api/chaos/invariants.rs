//! The chaos suite's invariants, checked over what clients saw (`LoadReport`)
//! and what the system recorded (`Observed`). `check` is pure: it returns
//! one line per violation, and the harness asserts there are none.
//!
//! For the set of orders answered 2xx (accepted):
//! 1. every accepted order is COMPLETED or FAILED, and not dead-lettered;
//! 2. the stream holds exactly one `ORDER.created` and exactly one
//!    terminal event for it (matching its status), no event twice, the
//!    created event first and the terminal one last;
//! 3. a COMPLETED order has exactly one charge at the provider (its amount,
//!    its charge id), a FAILED one none; only `tok_decline` orders are
//!    declined (an unknown payment outcome never becomes FAILED);
//! 4. stock is conserved: initial − quantities of COMPLETED orders =
//!    available, and nothing stays reserved;
//! 5. nothing exists for a request never answered 2xx: no stream message
//!    and no charge for an order id no client was given (the scenario's
//!    own injected messages excepted), and no dead letter it did not expect;
//! 6. every key was answered (2xx, no 4xx) and repeating it now returns
//!    the same order id.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::Value;

use super::load::{Accepted, LoadReport};
use super::observe::StreamEvent;
use support::provider::Charge;

/// What the scenario itself put into the system on purpose.
#[derive(Debug, Default, Clone)]
pub(crate) struct Expectations {
    /// Stream sequences of messages the scenario published directly.
    pub(crate) injected: BTreeSet<u64>,
    /// Original stream sequences that must be (and may be) dead-lettered.
    pub(crate) dead_letters: BTreeSet<u64>,
}

/// Everything read back after the system settled.
#[derive(Debug, Default)]
pub(crate) struct Observed {
    /// `GET /orders/{id}` of every accepted order (missing: no answer).
    pub(crate) orders: HashMap<String, Value>,
    pub(crate) events: Vec<StreamEvent>,
    pub(crate) charges: Vec<Charge>,
    pub(crate) key_mismatches: usize,
    pub(crate) stock: Vec<StockLevel>,
    pub(crate) dead_letters: Vec<Value>,
    /// Key → the order id a repeat of the key returns now.
    pub(crate) repeats: HashMap<String, Option<String>>,
}

/// One SKU's stock after the run.
#[derive(Debug, Clone)]
pub(crate) struct StockLevel {
    pub(crate) sku: &'static str,
    pub(crate) initial: u64,
    /// `(available, reserved)`; None: no answer.
    pub(crate) levels: Option<(u64, u64)>,
}

/// Returns every violation, one line each.
pub(crate) fn check(load: &LoadReport, seen: &Observed, expect: &Expectations) -> Vec<String> {
    let mut violations = Vec::new();
    clients(load, seen, &mut violations);
    let by_order = events_by_order(seen, expect, &load.accepted, &mut violations);
    let charges = charges_by_order(seen, &load.accepted, &mut violations);
    for order in &load.accepted {
        let events = by_order.get(order.order_id.as_str()).map(Vec::as_slice).unwrap_or_default();
        let charges = charges.get(order.order_id.as_str()).map(Vec::as_slice).unwrap_or_default();
        one_order(order, seen.orders.get(&order.order_id), events, charges, &mut violations);
    }
    stock(load, seen, &mut violations);
    dead_letters(seen, expect, &mut violations);
    violations
}

fn clients(load: &LoadReport, seen: &Observed, out: &mut Vec<String>) {
    for (key, status, body) in &load.rejected {
        out.push(format!("key {key}: the service answered {status}: {body}"));
    }
    for (key, error) in &load.unanswered {
        out.push(format!("key {key}: never answered 2xx before the deadline (last: {error})"));
    }
    let mut ids = HashSet::new();
    for order in &load.accepted {
        if !ids.insert(order.order_id.as_str()) {
            out.push(format!("order {} was returned for two different keys", order.order_id));
        }
        match seen.repeats.get(&order.key) {
            Some(Some(id)) if *id == order.order_id => {}
            other => out.push(format!("key {}: first got {}, a repeat now gets {other:?}", order.key, order.order_id)),
        }
    }
}

fn events_by_order<'a>(
    seen: &'a Observed,
    expect: &Expectations,
    accepted: &[Accepted],
    out: &mut Vec<String>,
) -> HashMap<&'a str, Vec<&'a StreamEvent>> {
    let known: HashSet<&str> = accepted.iter().map(|a| a.order_id.as_str()).collect();
    let mut by_order: HashMap<&str, Vec<&StreamEvent>> = HashMap::new();
    for event in seen.events.iter().filter(|e| !expect.injected.contains(&e.sequence)) {
        match event.order_id.as_deref() {
            Some(id) if known.contains(id) => by_order.entry(id).or_default().push(event),
            Some(id) if event.subject == "ORDER.created" => {
                out.push(format!("ORDER.created (seq {}) for {id}, a request never answered 2xx", event.sequence))
            }
            other => out.push(format!("{} (seq {}) for an unknown order {other:?}", event.subject, event.sequence)),
        }
    }
    by_order
}

fn charges_by_order<'a>(
    seen: &'a Observed,
    accepted: &[Accepted],
    out: &mut Vec<String>,
) -> HashMap<&'a str, Vec<&'a Charge>> {
    let known: HashSet<&str> = accepted.iter().map(|a| a.order_id.as_str()).collect();
    let mut by_order: HashMap<&str, Vec<&Charge>> = HashMap::new();
    for charge in &seen.charges {
        if !known.contains(charge.order_id.as_str()) {
            out.push(format!("charge {} for {}, an order no client was given", charge.charge_id, charge.order_id));
        }
        by_order.entry(charge.order_id.as_str()).or_default().push(charge);
    }
    if seen.key_mismatches > 0 {
        out.push(format!("{} charge requests reused an Idempotency-Key with another body", seen.key_mismatches));
    }
    by_order
}

fn one_order(
    order: &Accepted,
    view: Option<&Value>,
    events: &[&StreamEvent],
    charges: &[&Charge],
    out: &mut Vec<String>,
) {
    let status = view.and_then(|v| v["status"].as_str()).unwrap_or("<no answer>");
    if !matches!(status, "COMPLETED" | "FAILED") {
        out.push(format!("order {} not terminal: status {status}", order.order_id));
    }
    order_events(&order.order_id, status, events, out);
    order_payment(order, status, view, charges, out);
}

fn order_events(id: &str, status: &str, events: &[&StreamEvent], out: &mut Vec<String>) {
    let subjects: Vec<&str> = events.iter().map(|e| e.subject.as_str()).collect();
    let count = |s: &str| subjects.iter().filter(|x| **x == s).count();
    let ends = count("ORDER.completed") + count("ORDER.failed");
    let terminal = if status == "COMPLETED" { "ORDER.completed" } else { "ORDER.failed" };
    if count("ORDER.created") != 1 || ends != 1 || subjects.first() != Some(&"ORDER.created") {
        out.push(format!("order {id}: events {subjects:?} (want one created first and one terminal)"));
    } else if matches!(status, "COMPLETED" | "FAILED") && subjects.last() != Some(&terminal) {
        out.push(format!("order {id} is {status} but its events are {subjects:?}"));
    }
    if let Some(dup) = subjects.iter().find(|s| count(s) > 1) {
        out.push(format!("order {id}: {dup} published {} times", count(dup)));
    }
}

fn order_payment(order: &Accepted, status: &str, view: Option<&Value>, charges: &[&Charge], out: &mut Vec<String>) {
    let id = &order.order_id;
    match (status, charges) {
        ("COMPLETED", [charge]) => {
            let total = view.and_then(|v| v["total_minor"].as_i64());
            let charge_id = view.and_then(|v| v["charge_id"].as_str());
            if total != Some(charge.amount_minor) || charge_id != Some(charge.charge_id.as_str()) {
                out.push(format!("order {id}: total {total:?}, charge {charge_id:?}, but the provider has {charge:?}"));
            }
        }
        ("FAILED", []) => {}
        (_, charges) if matches!(status, "COMPLETED" | "FAILED") || charges.len() > 1 => {
            out.push(format!("order {id} is {status} with {} charges at the provider", charges.len()))
        }
        _ => {}
    }
    let declined_token = order.body["payment_token"].as_str().is_some_and(|t| t.starts_with("tok_decline"));
    match (status, view.and_then(|v| v["failure_reason"].as_str())) {
        ("COMPLETED", _) if declined_token => out.push(format!("order {id}: a tok_decline order completed")),
        ("FAILED", Some("PAYMENT_DECLINED")) if !declined_token => {
            out.push(format!("order {id}: a payment that was never declined ended FAILED PAYMENT_DECLINED"))
        }
        ("FAILED", Some("PAYMENT_DECLINED" | "OUT_OF_STOCK")) => {}
        ("FAILED", other) => out.push(format!("order {id}: FAILED with reason {other:?}")),
        _ => {}
    }
}

fn stock(load: &LoadReport, seen: &Observed, out: &mut Vec<String>) {
    for StockLevel { sku, initial, levels } in &seen.stock {
        let sold: u64 = load
            .accepted
            .iter()
            .filter(|o| seen.orders.get(&o.order_id).is_some_and(|v| v["status"] == "COMPLETED"))
            .flat_map(|o| o.body["items"].as_array().cloned().unwrap_or_default())
            .filter(|item| item["sku"] == *sku)
            .map(|item| item["quantity"].as_u64().unwrap_or(0))
            .sum();
        let expected = (initial.saturating_sub(sold), 0);
        if *levels != Some(expected) {
            out.push(format!(
                "stock {sku}: (available, reserved) = {levels:?}, want {expected:?} ({initial} - {sold})"
            ));
        }
    }
}

fn dead_letters(seen: &Observed, expect: &Expectations, out: &mut Vec<String>) {
    let mut found = BTreeSet::new();
    for letter in &seen.dead_letters {
        let original = letter["original_sequence"].as_u64().unwrap_or(0);
        if !expect.dead_letters.contains(&original) {
            out.push(format!("unexpected dead letter: {letter}"));
        }
        found.insert(original);
    }
    for missing in expect.dead_letters.difference(&found) {
        out.push(format!("message {missing} was expected in the dead letters but is not"));
    }
}
