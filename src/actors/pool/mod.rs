//! The worker pool: `WORKER_POOL_SIZE` `WorkerActor`s with bounded mailboxes
//! (`MAILBOX_CAPACITY`), spread over a few arbiter threads. Workers settle
//! JetStream deliveries: decode, run the order's saga in its own
//! `OrderActor`, then ack or nak.

mod worker;

pub use worker::{WorkerActor, WorkerSettings, start_pool};
