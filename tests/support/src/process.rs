//! `Proc`: one child process owned by a test, with the signals tests inject
//! (SIGKILL, SIGTERM, SIGSTOP, SIGCONT), plus `free_port` and `log_tail`.
//!
//! Signals are sent with the system `kill` command, so no extra dependency
//! is needed. Output is appended to a log file that survives restarts.
//! Dropping a `Proc` kills (SIGKILL works on a stopped process too) and
//! reaps it, ignoring errors.

use std::fs::OpenOptions;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// One running child process.
#[derive(Debug)]
pub struct Proc {
    name: String,
    child: Option<Child>,
}

impl Proc {
    /// Spawns `command` with stdout and stderr appended to `log`.
    pub fn spawn(name: &str, mut command: Command, log: &Path) -> Self {
        let out = OpenOptions::new().create(true).append(true).open(log).expect("open process log");
        let err = out.try_clone().expect("clone process log handle");
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Self { name: name.to_string(), child: Some(child) }
    }

    /// Sends `signal` (`STOP`, `CONT`, `TERM`, `KILL`) with `kill -s`.
    pub fn signal(&self, signal: &str) {
        let Some(pid) = self.child.as_ref().map(Child::id) else {
            panic!("{} is not running: cannot send SIG{signal}", self.name);
        };
        let status = Command::new("kill").args(["-s", signal, &pid.to_string()]).status();
        assert!(status.is_ok_and(|s| s.success()), "kill -s {signal} {pid} ({}) failed", self.name);
    }

    /// SIGKILL, then reap: no drain, no flush.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then waits up to `grace` for the exit (SIGKILL after that).
    pub async fn terminate(&mut self, grace: Duration) -> Option<ExitStatus> {
        self.signal("TERM");
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Some(status) = self.exited() {
                self.child = None;
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.kill();
        None
    }

    /// The exit status if the process has ended on its own.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.as_mut().and_then(|c| c.try_wait().ok().flatten())
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The last `lines` lines of a log file.
pub fn log_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Where `free_port` looks: below Linux's default ephemeral range
/// (32768-60999), from which `bind(:0)` and every outgoing connection take
/// their ports. A port picked there and released could be taken by some
/// client's connection before the service binds it ("Address already in
/// use"); below it, only another test picking the same port can collide,
/// and the bind check rules out one that is taken.
const PORTS: std::ops::Range<u16> = 20_000..32_768;

/// A port nothing listens on right now (bound, read, released).
pub fn free_port() -> u16 {
    for _ in 0..100 {
        let port = rand::random_range(PORTS);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in {PORTS:?} after 100 tries");
}
