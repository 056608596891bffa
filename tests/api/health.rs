//! Operational endpoints: liveness, readiness and Prometheus metrics.

use crate::helpers::{order_body, spawn_app};
use support::nats::NatsServer;

#[actix_web::test]
async fn health_and_ready_are_200_when_nats_is_up() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;

    assert_eq!(app.get("/health").await.status().as_u16(), 200);
    assert_eq!(app.get("/ready").await.status().as_u16(), 200);
}

#[actix_web::test]
async fn metrics_are_prometheus_text() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    app.stock("SKU-A", 1).await;
    let order_id = app.place_order(&order_body("cust-1", &[("SKU-A", 1, 100)], "tok_visa")).await;
    app.wait_terminal(&order_id).await;

    let response = app.get("/metrics").await;

    assert_eq!(response.status().as_u16(), 200);
    let content_type = response.headers().get("Content-Type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(
        content_type.starts_with("text/plain") || content_type.starts_with("application/openmetrics-text"),
        "Content-Type {content_type:?}"
    );
    let text = response.text().await.expect("metrics body");
    assert!(text.lines().any(|l| l.starts_with("# TYPE ")), "no # TYPE lines:\n{text}");
    let samples = text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty());
    for sample in samples {
        let value = sample.rsplit(' ').next().unwrap_or_default();
        assert!(value.parse::<f64>().is_ok(), "not a Prometheus sample: {sample:?}");
    }
}

/// actix-web closes idle connections after 5 s by default, while hyper's
/// and Go's client pools reuse them for up to 90 s: a POST sent as the
/// service closes the socket fails with "connection closed before message
/// completed". The service keeps idle connections open for 120 s.
#[actix_web::test]
async fn an_idle_connection_stays_usable_past_the_5_s_actix_default() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    let address = app.address.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await.expect("connect");
    let request = format!("GET /health HTTP/1.1\r\nHost: {address}\r\n\r\n");

    stream.write_all(request.as_bytes()).await.expect("first request");
    let first = read_response_head(&mut stream).await;
    let mut byte = [0u8; 1];
    let closed = tokio::time::timeout(std::time::Duration::from_millis(6_500), stream.read(&mut byte)).await;
    stream.write_all(request.as_bytes()).await.expect("second request");
    let second = read_response_head(&mut stream).await;

    assert!(first.starts_with("HTTP/1.1 200"), "first answer: {first}");
    assert!(closed.is_err(), "the service closed or wrote on the idle connection: {closed:?}");
    assert!(second.starts_with("HTTP/1.1 200"), "second answer on the same connection: {second}");
}

/// Reads one response (head and `Content-Length` body); returns the head.
async fn read_response_head(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut data = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let text = String::from_utf8_lossy(&data).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string()))
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                return text[..end].to_string();
            }
        }
        let n = stream.read(&mut chunk).await.expect("read response");
        if n == 0 {
            return String::from_utf8_lossy(&data).to_string();
        }
        data.extend_from_slice(&chunk[..n]);
    }
}
