//! `Browser`: Debian's headless Chromium driven over the Chrome DevTools
//! Protocol, for the dashboard tests: one page, init scripts, navigation,
//! `Runtime.evaluate` polled until a condition holds, and screenshots.
//!
//! Chromium is started with `--remote-debugging-port=0` and a temporary
//! profile; it writes the port it chose to `<profile>/DevToolsActivePort`.
//! Commands go over the browser websocket to the page's flattened session.
//! A JavaScript dialog (the dashboard's token `prompt()`) fails the test at
//! once: nothing would answer it and the page would hang.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const DEFAULT_BIN: &str = "/usr/bin/chromium";
const START_TIMEOUT: Duration = Duration::from_secs(30);
const CALL_TIMEOUT: Duration = Duration::from_secs(15);

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One headless Chromium with one page; killed when dropped.
pub(crate) struct Browser {
    child: Child,
    socket: Socket,
    session: String,
    next_id: u64,
    /// The profile directory (Chromium's log is in it); removed on drop.
    _profile: tempfile::TempDir,
}

/// The browser binary: `CHROMIUM_BIN`, else Debian's `/usr/bin/chromium`.
/// Panics with how to install it: the dashboard tests never skip.
fn chromium_binary() -> PathBuf {
    let path = PathBuf::from(std::env::var("CHROMIUM_BIN").unwrap_or_else(|_| DEFAULT_BIN.into()));
    assert!(
        path.is_file(),
        "Chromium not found at {}: the dashboard browser tests need it. Install Debian's package with \
         `make tools` (as root) or `sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium`, \
         or point CHROMIUM_BIN at a Chromium binary.",
        path.display()
    );
    path
}

impl Browser {
    /// Starts Chromium and opens a blank page of `width` × `height` CSS px.
    pub(crate) async fn launch(width: u32, height: u32) -> Self {
        let profile = tempfile::tempdir().expect("temp dir for the Chromium profile");
        let log = std::fs::File::create(profile.path().join("chromium.log")).expect("Chromium log file");
        let mut child = Command::new(chromium_binary())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("Chromium log handle"))
            .stderr(log)
            .spawn()
            .expect("start Chromium");
        let url = devtools_url(&mut child, profile.path()).await;
        let socket = tokio_tungstenite::connect_async(url).await.expect("DevTools websocket").0;
        let mut browser = Self { child, socket, session: String::new(), next_id: 0, _profile: profile };
        browser.open_page(width, height).await;
        browser
    }

    async fn open_page(&mut self, width: u32, height: u32) {
        let target = self.send(None, "Target.createTarget", json!({"url": "about:blank"})).await;
        let target_id = target["targetId"].clone();
        let attached = self.send(None, "Target.attachToTarget", json!({"targetId": target_id, "flatten": true})).await;
        self.session = attached["sessionId"].as_str().expect("sessionId").to_string();
        self.call("Page.enable", json!({})).await;
        let metrics = json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false});
        self.call("Emulation.setDeviceMetricsOverride", metrics).await;
    }

    /// Runs `source` in every document before the page's own scripts.
    pub(crate) async fn add_init_script(&mut self, source: &str) {
        self.call("Page.addScriptToEvaluateOnNewDocument", json!({"source": source})).await;
    }

    pub(crate) async fn goto(&mut self, url: &str) {
        let navigated = self.call("Page.navigate", json!({"url": url})).await;
        assert!(navigated.get("errorText").is_none(), "navigation to {url} failed: {navigated}");
    }

    /// The value of a JavaScript expression (promises are awaited).
    pub(crate) async fn eval(&mut self, expression: &str) -> Value {
        let params = json!({"expression": expression, "returnByValue": true, "awaitPromise": true});
        let reply = self.call("Runtime.evaluate", params).await;
        if let Some(exception) = reply.get("exceptionDetails") {
            panic!("`{expression}` threw: {exception}");
        }
        reply["result"].get("value").cloned().unwrap_or(Value::Null)
    }

    /// Polls `expression` until it is neither null, false nor undefined;
    /// returns it. On timeout fails with the page's visible text.
    pub(crate) async fn wait_for(&mut self, expression: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let value = self.eval(expression).await;
            if !matches!(value, Value::Null | Value::Bool(false)) {
                return value;
            }
            if Instant::now() > deadline {
                let text = self.eval("document.body ? document.body.innerText : ''").await;
                panic!("`{expression}` not true within {timeout:?}; the page shows:\n{}", text.as_str().unwrap_or(""));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A PNG of the viewport.
    pub(crate) async fn screenshot(&mut self) -> Vec<u8> {
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"})).await;
        let data = shot["data"].as_str().expect("screenshot data");
        base64::engine::general_purpose::STANDARD.decode(data).expect("screenshot is base64")
    }

    async fn call(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.send(Some(&session), method, params).await
    }

    /// Sends one command and reads until its reply; events in between are
    /// dropped, except a dialog, which fails the test.
    async fn send(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut command = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            command["sessionId"] = json!(session);
        }
        self.socket.send(Message::text(command.to_string())).await.expect("send a DevTools command");
        let deadline = tokio::time::Instant::now() + CALL_TIMEOUT;
        loop {
            let next = tokio::time::timeout_at(deadline, self.socket.next()).await;
            let frame = next.unwrap_or_else(|_| panic!("no reply to {method} in {CALL_TIMEOUT:?}"));
            let Some(Ok(Message::Text(text))) = frame else { continue };
            let message: Value = serde_json::from_str(&text).expect("DevTools message is JSON");
            if message["method"] == "Page.javascriptDialogOpening" {
                panic!("the page opened a {} dialog: {}", message["params"]["type"], message["params"]["message"]);
            }
            if message["id"] == json!(id) {
                assert!(message.get("error").is_none(), "{method} failed: {}", message["error"]);
                return message["result"].clone();
            }
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for Chromium to say where its DevTools websocket listens.
async fn devtools_url(child: &mut Child, profile: &Path) -> String {
    let log = || std::fs::read_to_string(profile.join("chromium.log")).unwrap_or_default();
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Some(url) = read_active_port(&profile.join("DevToolsActivePort")) {
            return url;
        }
        if let Some(status) = child.try_wait().ok().flatten() {
            panic!("Chromium exited at start ({status}):\n{}", log());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("Chromium gave no DevTools port in {START_TIMEOUT:?}:\n{}", log());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `ws://127.0.0.1:<port><path>` from a complete `DevToolsActivePort` file.
fn read_active_port(file: &Path) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let mut lines = text.lines();
    let (port, path) = (lines.next()?.trim(), lines.next()?.trim());
    (!port.is_empty() && path.starts_with('/')).then(|| format!("ws://127.0.0.1:{port}{path}"))
}
