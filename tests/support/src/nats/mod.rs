//! nats-server launchers: `NatsServer` (one process) and `NatsCluster`
//! (one node or three clustered nodes built from `NatsServer`s).

mod cluster;
mod server;

pub use cluster::NatsCluster;
pub use server::{NatsOptions, NatsServer};
