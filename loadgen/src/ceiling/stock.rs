//! The ceiling's copy of the service's group commit (`src/actors/inventory/
//! store.rs`, `lane.rs`): changes to one SKU queued behind a write are
//! applied together to one copy of the record and written with one CAS,
//! starting from the revision this process last saw; confirmations of
//! journal entries ride on the SKU's next write. Unlike the service, a
//! confirmation never forces a write of its own (a run's stock records are
//! thrown away with its buckets).

use order_service::domain::{StockChange, StockRecord, StockStep};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

use super::setup::Handles;
use super::store::{self, WriteError};

const MAX_CAS_ATTEMPTS: usize = 64;

type ChangeFn = Box<dyn FnMut(&mut StockRecord) -> StockChange + Send>;
type Answer = Result<(StockChange, StockRecord), String>;

struct Waiting {
    change: ChangeFn,
    reply: oneshot::Sender<Answer>,
}

#[derive(Default)]
struct Lane {
    queue: Vec<Waiting>,
    confirms: Vec<(String, StockStep)>,
    writing: bool,
}

/// Lanes of every SKU, shared by the ceiling's tasks.
#[derive(Clone, Default)]
pub(crate) struct Lanes(Arc<Mutex<HashMap<String, Lane>>>);

impl std::fmt::Debug for Lanes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Lanes")
    }
}

impl Lanes {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Lane>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Applies `change` to `sku` in the SKU's next group commit.
pub(crate) async fn modify(
    h: &Handles,
    sku: &str,
    change: impl FnMut(&mut StockRecord) -> StockChange + Send + 'static,
) -> Answer {
    let (reply, answer) = oneshot::channel();
    let start = {
        let mut lanes = h.lanes.lock();
        let lane = lanes.entry(sku.to_string()).or_default();
        lane.queue.push(Waiting { change: Box::new(change), reply });
        !std::mem::replace(&mut lane.writing, true)
    };
    if start {
        tokio::spawn(write(h.clone(), sku.to_string()));
    }
    answer.await.map_err(|_| format!("the write of {sku} was abandoned"))?
}

/// Drops `order_id`'s journal entry of `step` with `sku`'s next write.
pub(crate) fn confirm(h: &Handles, sku: &str, order_id: &str, step: StockStep) {
    h.lanes.lock().entry(sku.to_string()).or_default().confirms.push((order_id.to_string(), step));
}

async fn write(h: Handles, sku: String) {
    loop {
        let (batch, confirms) = {
            let mut lanes = h.lanes.lock();
            let Some(lane) = lanes.get_mut(&sku) else { return };
            if lane.queue.is_empty() {
                lane.writing = false;
                return;
            }
            (std::mem::take(&mut lane.queue), std::mem::take(&mut lane.confirms))
        };
        let unwritten = commit(&h, &sku, batch, confirms).await;
        if let Some(lane) = h.lanes.lock().get_mut(&sku) {
            lane.confirms.extend(unwritten);
        }
    }
}

/// Decides and writes one batch; returns the confirmations not written.
async fn commit(
    h: &Handles,
    sku: &str,
    mut batch: Vec<Waiting>,
    confirms: Vec<(String, StockStep)>,
) -> Vec<(String, StockStep)> {
    let mut from_cache = h.stock_cache.get(sku);
    for _ in 0..MAX_CAS_ATTEMPTS {
        let trusted = from_cache.is_none();
        let current = match from_cache.take() {
            Some(cached) => Some(cached),
            None => match store::get::<StockRecord>(&h.inventory, sku).await {
                Ok(current) => current,
                Err(e) => return fail(batch, e, confirms),
            },
        };
        let (mut record, revision) = match current {
            Some((record, revision)) => (record, Some(revision)),
            None => (StockRecord::default(), None),
        };
        let outcomes: Vec<StockChange> = batch.iter_mut().map(|w| (w.change)(&mut record)).collect();
        for (id, step) in &confirms {
            record.confirm(id, *step);
        }
        if !outcomes.contains(&StockChange::Applied) {
            if trusted {
                answer(batch, outcomes, &record);
                return confirms;
            }
            continue;
        }
        let written = match revision {
            Some(revision) => store::update(&h.inventory, sku, &record, revision).await,
            None => store::create(&h.inventory, sku, &record).await,
        };
        match written {
            Ok(revision) => {
                h.stock_cache.put(sku, &record, revision);
                answer(batch, outcomes, &record);
                return Vec::new();
            }
            Err(WriteError::Conflict) => continue,
            Err(e) => return fail(batch, e.into(), confirms),
        }
    }
    fail(batch, format!("too much contention on {sku}"), confirms)
}

fn answer(batch: Vec<Waiting>, outcomes: Vec<StockChange>, record: &StockRecord) {
    for (waiting, outcome) in batch.into_iter().zip(outcomes) {
        let _ = waiting.reply.send(Ok((outcome, record.clone())));
    }
}

fn fail(batch: Vec<Waiting>, error: String, confirms: Vec<(String, StockStep)>) -> Vec<(String, StockStep)> {
    for waiting in batch {
        let _ = waiting.reply.send(Err(error.clone()));
    }
    confirms
}
