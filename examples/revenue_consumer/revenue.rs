//! The reusable part of the revenue consumer: attaching a durable pull
//! consumer to `ORDER.*`, and a per-customer revenue tally that drops
//! duplicate events by `Nats-Msg-Id`.
//!
//! Duplicates happen: the service re-publishes an event after a crash, and
//! past the stream's 2-minute duplicate window the stream stores it again;
//! a consumer that dies between its effect and its ack gets the message
//! again. The tally remembers the `Nats-Msg-Id` of every event it counted
//! (in memory here; a real consumer stores them with its effect, in the
//! same transaction).

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::time::Duration;

use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, PullConsumer, pull};
use async_nats::jetstream::{self, Message};
use order_events::{Event, EventKind, STREAM, SUBJECTS, headers};

/// Any failure talking to NATS or decoding an event.
pub(crate) type Error = Box<dyn std::error::Error + Send + Sync>;

/// Attaches (creating it on first use) the durable pull consumer `name`
/// on every `ORDER.*` subject, from the first stored event. A restarted
/// consumer continues after its last acknowledged event. To start from a
/// point in time instead, create it with `DeliverPolicy::ByStartTime`.
pub(crate) async fn attach(js: &jetstream::Context, name: &str, ack_wait: Duration) -> Result<PullConsumer, Error> {
    let stream = js.get_stream(STREAM).await?;
    let config = pull::Config {
        durable_name: Some(name.to_string()),
        filter_subject: SUBJECTS.to_string(),
        deliver_policy: DeliverPolicy::All,
        ack_policy: AckPolicy::Explicit,
        ack_wait,
        ..Default::default()
    };
    Ok(stream.get_or_create_consumer(name, config).await?)
}

/// One customer's revenue in one currency.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Line {
    pub(crate) customer_id: String,
    pub(crate) currency: String,
    pub(crate) orders: u64,
    pub(crate) amount_minor: i64,
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (customer, currency, orders, minor) = (&self.customer_id, &self.currency, self.orders, self.amount_minor);
        write!(f, "revenue customer={customer} currency={currency} orders={orders} amount_minor={minor}")
    }
}

/// Revenue of completed orders per (customer, currency).
#[derive(Debug, Default)]
pub(crate) struct Revenue {
    lines: BTreeMap<(String, String), Line>,
    counted: HashSet<String>,
    /// Events dropped because their `Nats-Msg-Id` was counted before.
    pub(crate) duplicates: u64,
}

impl Revenue {
    /// Applies one event; returns the customer's line when it changed.
    pub(crate) fn apply(&mut self, subject: &str, msg_id: &str, payload: &[u8]) -> Result<Option<Line>, Error> {
        if EventKind::from_subject(subject) != Some(EventKind::Completed) {
            return Ok(None);
        }
        if self.counted.contains(msg_id) {
            self.duplicates += 1;
            return Ok(None);
        }
        let Event::Completed(completed) = Event::decode(EventKind::Completed, payload)? else {
            return Ok(None);
        };
        let total = completed.total.unwrap_or_default();
        let key = (completed.customer_id.clone(), total.currency.clone());
        let line = self.lines.entry(key).or_insert_with(|| Line {
            customer_id: completed.customer_id,
            currency: total.currency,
            ..Line::default()
        });
        line.orders += 1;
        line.amount_minor += total.amount_minor;
        self.counted.insert(msg_id.to_string());
        Ok(Some(line.clone()))
    }

    /// Every line, by customer and currency.
    pub(crate) fn lines(&self) -> Vec<Line> {
        self.lines.values().cloned().collect()
    }

    /// Applies a JetStream message (its subject, `Nats-Msg-Id` and payload).
    pub(crate) fn apply_message(&mut self, message: &Message) -> Result<Option<Line>, Error> {
        let msg_id = message.headers.as_ref().and_then(|h| h.get(headers::MSG_ID)).map(|v| v.as_str().to_string());
        let msg_id = msg_id.ok_or("event without Nats-Msg-Id")?;
        self.apply(message.subject.as_str(), &msg_id, &message.payload)
    }
}

/// Consumes `consumer` for ever: applies each event to `revenue`, calls
/// `on_line` with every changed line, then acknowledges the event (after
/// the effect: a crash in between redelivers it, and the tally drops it).
pub(crate) async fn run(
    consumer: PullConsumer,
    revenue: &std::sync::Mutex<Revenue>,
    mut on_line: impl FnMut(&Line),
) -> Result<(), Error> {
    use futures::StreamExt as _;
    let mut messages = consumer.messages().await?;
    while let Some(message) = messages.next().await {
        let message = message?;
        let line = revenue.lock().unwrap_or_else(|p| p.into_inner()).apply_message(&message)?;
        if let Some(line) = line {
            on_line(&line);
        }
        message.ack().await?;
    }
    Ok(())
}
