//! An example downstream consumer of the `ORDER.*` events, built only on the
//! `order-events` crate and async-nats: a durable pull consumer on
//! `ORDER.*` that drops duplicates by `Nats-Msg-Id` and prints a revenue
//! line per customer whenever an order completes.
//!
//! ```text
//! NATS_URL=nats://127.0.0.1:4222 cargo run --example revenue_consumer
//! revenue customer=cust-1 currency=USD orders=3 amount_minor=8997
//! ```
//! `CONSUMER_NAME` names the durable consumer (default `revenue-example`):
//! run it again with the same name and it continues where it stopped.
//! A failure (NATS gone, an undecodable event) ends it with an error; the
//! unacknowledged event is redelivered to the next run.

mod revenue;

use std::sync::Mutex;
use std::time::Duration;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), revenue::Error> {
    let url = std::env::var("NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    let name = std::env::var("CONSUMER_NAME").unwrap_or_else(|_| "revenue-example".into());
    let js = async_nats::jetstream::new(async_nats::connect(url).await?);
    let consumer = revenue::attach(&js, &name, Duration::from_secs(30)).await?;
    let tally = Mutex::new(revenue::Revenue::default());
    let result = revenue::run(consumer, &tally, |line| println!("{line}")).await;
    let tally = tally.into_inner().unwrap_or_else(|p| p.into_inner());
    for line in tally.lines() {
        eprintln!("stopped at: {line}");
    }
    eprintln!("duplicates dropped: {}", tally.duplicates);
    result
}
