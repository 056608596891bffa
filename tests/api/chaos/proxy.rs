//! `FaultProxy`: a TCP proxy inside the test binary, put between two real
//! processes (the service and the payment provider, or the service and
//! nats-server) to inject network faults that the processes cannot tell
//! from real ones.
//!
//! It listens on 127.0.0.1:0 and forwards every connection to one target.
//! The mode can be switched at any time and applies to new and existing
//! connections alike:
//! - `Pass`: forward bytes as they come.
//! - `Delay`: hold every chunk for `base` plus a random share of `jitter`.
//! - `Blackhole`: accept, but forward nothing until the mode changes (a
//!   partition: the peer sees silence, then timeouts; bytes resume later).
//! - `Close`: drop every open connection now, and each new one on accept.
//!
//! Dropping the proxy stops accepting and closes every connection.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rand::Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the proxy does with traffic right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Pass,
    Delay { base: Duration, jitter: Duration },
    Blackhole,
    Close,
}

/// A running proxy; see the module docs.
#[derive(Debug)]
pub(crate) struct FaultProxy {
    address: SocketAddr,
    mode: watch::Sender<Mode>,
    faults: AtomicUsize,
    connections: Arc<AtomicUsize>,
    accept: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    /// Listens on 127.0.0.1:0 and forwards to `target`, starting in `Pass`.
    pub(crate) async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind fault proxy");
        let address = listener.local_addr().expect("proxy address");
        let (mode, watcher) = watch::channel(Mode::Pass);
        let connections = Arc::new(AtomicUsize::new(0));
        let accept = tokio::spawn(accept_loop(listener, target, watcher, connections.clone()));
        Self { address, mode, faults: AtomicUsize::new(0), connections, accept }
    }

    /// `scheme://127.0.0.1:PORT` of the proxy's listening side.
    pub(crate) fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}", self.address)
    }

    /// Switches the mode; every switch away from `Pass` counts as a fault.
    pub(crate) fn set(&self, mode: Mode) {
        if mode != Mode::Pass {
            self.faults.fetch_add(1, Ordering::Relaxed);
        }
        self.mode.send_replace(mode);
    }

    /// How many faults were switched on so far.
    pub(crate) fn faults(&self) -> usize {
        self.faults.load(Ordering::Relaxed)
    }

    /// How many connections were accepted so far.
    pub(crate) fn connections(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
        // Closing the mode channel ends every connection task.
        self.mode.send_replace(Mode::Close);
    }
}

async fn accept_loop(
    listener: TcpListener,
    target: SocketAddr,
    mode: watch::Receiver<Mode>,
    connections: Arc<AtomicUsize>,
) {
    loop {
        let Ok((inbound, _)) = listener.accept().await else {
            continue;
        };
        connections.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(serve(inbound, target, mode.clone()));
    }
}

async fn serve(inbound: TcpStream, target: SocketAddr, mut mode: watch::Receiver<Mode>) {
    // A new connection waits out a blackhole and is dropped under `Close`.
    if !may_forward(&mut mode, false).await {
        return;
    }
    let Ok(outbound) = TcpStream::connect(target).await else {
        return; // the target is down: the client sees its connection close
    };
    let _ = (inbound.set_nodelay(true), outbound.set_nodelay(true));
    let (client_read, client_write) = inbound.into_split();
    let (target_read, target_write) = outbound.into_split();
    tokio::select! {
        _ = pump(client_read, target_write, mode.clone()) => {}
        _ = pump(target_read, client_write, mode) => {}
    }
}

/// Copies one direction chunk by chunk, applying the mode to each chunk.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, mut mode: watch::Receiver<Mode>) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = tokio::select! {
            read = from.read(&mut buffer) => read,
            changed = mode.changed() => {
                if changed.is_err() || *mode.borrow_and_update() == Mode::Close {
                    return;
                }
                continue;
            }
        };
        let n = match read {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if !may_forward(&mut mode, true).await || to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}

/// Waits until the mode lets bytes through (applying a delay if asked).
/// `false` means: close the connection.
async fn may_forward(mode: &mut watch::Receiver<Mode>, delay: bool) -> bool {
    loop {
        let current = *mode.borrow_and_update();
        match current {
            Mode::Pass => return true,
            Mode::Delay { base, jitter } => {
                if delay {
                    let extra = jitter.mul_f64(rand::rng().random_range(0.0..=1.0));
                    tokio::time::sleep(base + extra).await;
                }
                return true;
            }
            Mode::Close => return false,
            Mode::Blackhole => {
                if mode.changed().await.is_err() {
                    return false;
                }
            }
        }
    }
}
