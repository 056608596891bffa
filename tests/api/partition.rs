//! A black-holed link to NATS (TCP open, no bytes moving), made with the
//! in-repo fault proxy between the service and a real nats-server: order
//! requests answer 503 + Retry-After within `INTAKE_TIMEOUT_MS` instead of
//! waiting for request timeouts, `/ready` turns 503 once the client's pings
//! go unanswered, and both recover when the link heals.

use std::time::Duration;

use crate::chaos::proxy::{FaultProxy, Mode};
use crate::helpers::{WAIT, eventually, order_body, spawn_app_with};
use support::nats::NatsServer;

async fn ready_status(app: &crate::helpers::TestApp) -> Option<u16> {
    let response = app.client.get(format!("{}/ready", app.address)).send().await.ok()?;
    Some(response.status().as_u16())
}

#[actix_web::test]
async fn a_silent_nats_link_gets_fast_503s_and_not_ready_then_recovers() {
    let nats = NatsServer::start().await;
    let target = nats.url().trim_start_matches("nats://").parse().expect("nats socket address");
    let proxy = FaultProxy::start(target).await;
    let app = spawn_app_with(&nats, |s| s.nats.url = proxy.url("nats")).await;
    let body = order_body("c-1", &[("SKU-P", 1, 100)], "tok_visa");
    assert_eq!(app.post_order(&body, None).await.status().as_u16(), 202, "accepted while the link is up");

    proxy.set(Mode::Blackhole);
    // The client gives up after 4 s: a service that waits for the 5 s
    // JetStream request timeout (or longer) fails this request.
    let quick = app.client.post(format!("{}/orders", app.address)).json(&body).timeout(Duration::from_secs(4));
    let answer = quick.send().await.expect("answered before the client's 4 s timeout");
    assert_eq!(answer.status().as_u16(), 503);
    assert!(answer.headers().contains_key("Retry-After"), "503 carries Retry-After");
    eventually(|| async { (ready_status(&app).await? == 503).then_some(()) }, WAIT).await;

    proxy.set(Mode::Pass);
    eventually(|| async { (ready_status(&app).await? == 200).then_some(()) }, WAIT).await;
    let again =
        eventually(|| async { Some(app.post_order(&body, None).await.status().as_u16()).filter(|s| *s == 202) }, WAIT)
            .await;
    assert_eq!(again, 202, "accepted again once the link healed");
}
