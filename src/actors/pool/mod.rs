//! The worker pool: `WORKER_POOL_SIZE` `WorkerActor`s with bounded mailboxes
//! (`MAILBOX_CAPACITY`), spread over a few arbiter threads. Workers take
//! JetStream deliveries, decode each and start its order's `OrderActor`,
//! which runs the saga and settles the delivery (ack, nak or dead letter);
//! poison is dead-lettered by the worker itself.

mod worker;

pub use worker::{WorkerActor, WorkerSettings, start_pool};
