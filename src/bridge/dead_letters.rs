//! `DeadLetterActor`: the `DEAD_LETTERS` stream.
//!
//! A message that can never be processed (undecodable, invalid, or out of
//! deliveries) is copied here with its original headers plus `Dlq-Reason`,
//! `Dlq-Original-Subject`, `Dlq-Original-Sequence` and `Dlq-Delivered`,
//! then terminated on the work stream so it never blocks what follows.
//! Operators list dead letters and replay one: a replay publishes the
//! payload on `ORDER.replayed` (which the saga consumer drives like
//! `ORDER.created`) with the original `Order-Id` and trace context, and
//! removes the dead letter. Copies hold no payment token: events never
//! carry one.

use actix::{Actor, Context, Handler, ResponseFuture};
use async_nats::HeaderMap;
use async_nats::jetstream::stream::{RawMessageErrorKind, Stream};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{BridgeError, Nats, headers, subjects};

/// A message to dead-letter.
#[derive(Debug, Clone, actix::Message)]
#[rtype(result = "Result<DeadLettered, BridgeError>")]
pub struct DeadLetter {
    pub subject: String,
    /// The original payload and headers; `None`: read them back from the
    /// work stream at `stream_sequence` (an order actor keeps neither).
    pub content: Option<DeadLetterContent>,
    pub stream_sequence: u64,
    pub delivered: i64,
    pub reason: String,
}

/// Where a dead letter was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadLettered {
    /// Its sequence in `DEAD_LETTERS`.
    pub id: u64,
    /// The same delivery was dead-lettered before (a retried dead-lettering
    /// within the stream's duplicate window): nothing new was stored.
    pub duplicate: bool,
}

/// A dead letter's copy of the original message.
#[derive(Debug, Clone)]
pub struct DeadLetterContent {
    pub payload: Vec<u8>,
    pub headers: Vec<(String, String)>,
}

impl DeadLetterContent {
    /// Copies `payload` and every value of every header.
    pub fn copy(payload: &[u8], headers: Option<&HeaderMap>) -> Self {
        let headers = headers
            .iter()
            .flat_map(|h| h.iter())
            .flat_map(|(name, values)| values.iter().map(move |v| (name.to_string(), v.as_str().to_string())))
            .collect();
        Self { payload: payload.to_vec(), headers }
    }
}

/// List the most recent dead letters (newest first).
#[derive(Debug, actix::Message)]
#[rtype(result = "Result<Vec<DeadLetterView>, BridgeError>")]
pub struct ListDeadLetters {
    pub limit: usize,
}

/// Re-publish one dead letter for processing and remove it.
#[derive(Debug, actix::Message)]
#[rtype(result = "Result<Option<Replayed>, BridgeError>")]
pub struct ReplayDeadLetter {
    pub id: u64,
}

/// A dead letter as shown to operators.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DeadLetterView {
    pub id: u64,
    pub original_subject: String,
    pub original_sequence: u64,
    pub order_id: Option<String>,
    pub reason: String,
    pub delivered: i64,
    pub dead_lettered_at: String,
    pub payload_bytes: usize,
}

/// Where a replayed dead letter went.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Replayed {
    pub id: u64,
    pub subject: String,
    pub sequence: u64,
}

const REASON: &str = "Dlq-Reason";
const ORIGINAL_SUBJECT: &str = "Dlq-Original-Subject";
const ORIGINAL_SEQUENCE: &str = "Dlq-Original-Sequence";
const DELIVERED: &str = "Dlq-Delivered";

#[derive(Debug)]
pub struct DeadLetterActor {
    nats: Nats,
}

impl DeadLetterActor {
    pub fn new(nats: Nats) -> Self {
        Self { nats }
    }
}

impl Actor for DeadLetterActor {
    type Context = Context<Self>;
}

fn unavailable(e: impl std::error::Error + Send + Sync + 'static) -> BridgeError {
    BridgeError::unavailable(e)
}

async fn dlq_stream(nats: &Nats) -> Result<Stream, BridgeError> {
    nats.js.get_stream(subjects::DLQ_STREAM).await.map_err(unavailable)
}

/// The original message at `sequence` of the work stream. NATS down →
/// `Unavailable` (the caller naks and retries later); a message the
/// stream no longer has cannot be redelivered either, so it is reported.
async fn read_back(nats: &Nats, sequence: u64) -> Result<DeadLetterContent, BridgeError> {
    let stream = nats.js.get_stream(subjects::STREAM).await.map_err(unavailable)?;
    let message = stream.get_raw_message(sequence).await.map_err(unavailable)?;
    Ok(DeadLetterContent::copy(&message.payload, Some(&message.headers)))
}

async fn publish(nats: &Nats, letter: DeadLetter) -> Result<DeadLettered, BridgeError> {
    let content = match letter.content {
        Some(content) => content,
        None => read_back(nats, letter.stream_sequence).await?,
    };
    let mut h = HeaderMap::new();
    for (name, value) in &content.headers {
        if name != headers::MSG_ID {
            h.insert(name.as_str(), value.as_str());
        }
    }
    // Dead-lettering the same delivery twice stores it once.
    h.insert(headers::MSG_ID, format!("dlq:{}:{}", letter.subject, letter.stream_sequence).as_str());
    h.insert(REASON, letter.reason.as_str());
    h.insert(ORIGINAL_SUBJECT, letter.subject.as_str());
    h.insert(ORIGINAL_SEQUENCE, letter.stream_sequence.to_string().as_str());
    h.insert(DELIVERED, letter.delivered.to_string().as_str());
    let subject = subjects::dead_letter(&letter.subject);
    let ack = nats
        .js
        .publish_with_headers(subject, h, content.payload.into())
        .await
        .map_err(unavailable)?
        .await
        .map_err(unavailable)?;
    Ok(DeadLettered { id: ack.sequence, duplicate: ack.duplicate })
}

fn header(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name).map(|v| v.as_str().to_string())
}

async fn list(nats: &Nats, limit: usize) -> Result<Vec<DeadLetterView>, BridgeError> {
    let mut stream = dlq_stream(nats).await?;
    let state = stream.info().await.map_err(unavailable)?.state.clone();
    let mut out = Vec::new();
    let mut seq = state.last_sequence;
    while seq >= state.first_sequence.max(1) && out.len() < limit && state.messages > 0 {
        if let Ok(m) = stream.get_raw_message(seq).await {
            out.push(DeadLetterView {
                id: m.sequence,
                original_subject: header(&m.headers, ORIGINAL_SUBJECT).unwrap_or_default(),
                original_sequence: header(&m.headers, ORIGINAL_SEQUENCE).and_then(|s| s.parse().ok()).unwrap_or(0),
                order_id: header(&m.headers, headers::ORDER_ID),
                reason: header(&m.headers, REASON).unwrap_or_default(),
                delivered: header(&m.headers, DELIVERED).and_then(|s| s.parse().ok()).unwrap_or(0),
                dead_lettered_at: OffsetDateTime::from_unix_timestamp_nanos(m.time.unix_timestamp_nanos())
                    .ok()
                    .and_then(|t| t.format(&Rfc3339).ok())
                    .unwrap_or_default(),
                payload_bytes: m.payload.len(),
            });
        }
        seq -= 1;
    }
    Ok(out)
}

async fn replay(nats: &Nats, id: u64) -> Result<Option<Replayed>, BridgeError> {
    let stream = dlq_stream(nats).await?;
    let message = match stream.get_raw_message(id).await {
        Ok(message) => message,
        Err(e) if is_missing(&e.kind()) => return Ok(None),
        Err(e) => return Err(unavailable(e)),
    };
    let order_id = header(&message.headers, headers::ORDER_ID);
    let mut h = HeaderMap::new();
    if let Some(order_id) = &order_id {
        h.insert(headers::ORDER_ID, order_id.as_str());
    }
    // The replayed run continues the order's trace.
    for name in [headers::TRACEPARENT, headers::TRACESTATE] {
        if let Some(value) = header(&message.headers, name) {
            h.insert(name, value.as_str());
        }
    }
    let key = order_id.unwrap_or_else(|| "unknown".into());
    h.insert(headers::MSG_ID, format!("{key}:replayed:{id}").as_str());
    let ack = nats
        .js
        .publish_with_headers(subjects::REPLAY, h, message.payload.clone())
        .await
        .map_err(unavailable)?
        .await
        .map_err(unavailable)?;
    stream.delete_message(id).await.map_err(unavailable)?;
    Ok(Some(Replayed { id, subject: subjects::REPLAY.into(), sequence: ack.sequence }))
}

/// JetStream answered that it has no such message (404, also for an id it
/// rejects as a request, like 0). Everything else, NATS unreachable, a
/// timeout, JetStream itself unavailable (5xx), is an outage: 503, never a
/// false "not found".
fn is_missing(kind: &RawMessageErrorKind) -> bool {
    match kind {
        RawMessageErrorKind::NoMessageFound => true,
        RawMessageErrorKind::JetStream(e) => e.code() < 500,
        _ => false,
    }
}

impl Handler<DeadLetter> for DeadLetterActor {
    type Result = ResponseFuture<Result<DeadLettered, BridgeError>>;

    fn handle(&mut self, msg: DeadLetter, _ctx: &mut Context<Self>) -> Self::Result {
        let nats = self.nats.clone();
        Box::pin(async move {
            let (subject, seq, reason) = (msg.subject.clone(), msg.stream_sequence, msg.reason.clone());
            let stored = publish(&nats, msg).await?;
            let (dead_letter_id, duplicate) = (stored.id, stored.duplicate);
            tracing::error!(subject, seq, reason, dead_letter_id, duplicate, "message dead-lettered");
            Ok(stored)
        })
    }
}

impl Handler<ListDeadLetters> for DeadLetterActor {
    type Result = ResponseFuture<Result<Vec<DeadLetterView>, BridgeError>>;

    fn handle(&mut self, msg: ListDeadLetters, _ctx: &mut Context<Self>) -> Self::Result {
        let nats = self.nats.clone();
        Box::pin(async move { list(&nats, msg.limit).await })
    }
}

impl Handler<ReplayDeadLetter> for DeadLetterActor {
    type Result = ResponseFuture<Result<Option<Replayed>, BridgeError>>;

    fn handle(&mut self, msg: ReplayDeadLetter, _ctx: &mut Context<Self>) -> Self::Result {
        let nats = self.nats.clone();
        Box::pin(async move { replay(&nats, msg.id).await })
    }
}
