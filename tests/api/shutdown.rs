//! Graceful shutdown: the service stops serving, returns cleanly, and an
//! order in flight is finished by the next instance, exactly once.

use futures::future::join_all;

use crate::helpers::{order_body, spawn_app, spawn_app_with};
use support::nats::NatsServer;

#[actix_web::test]
async fn shutdown_stops_http_and_returns_cleanly() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    let (client, address) = (app.client.clone(), app.address.clone());
    assert_eq!(app.get("/health").await.status().as_u16(), 200);

    app.shutdown().await;

    let after = client.get(format!("{address}/health")).send().await;
    assert!(after.is_err(), "still serving after shutdown: {:?}", after.map(|r| r.status()));
}

#[actix_web::test]
async fn orders_in_flight_at_shutdown_complete_exactly_once_on_the_next_instance() {
    let nats = NatsServer::start().await;
    let app = spawn_app_with(&nats, |s| s.payment.sim_latency = std::time::Duration::from_millis(300)).await;
    app.stock("SKU-A", 20).await;
    let bodies: Vec<_> = (0..5).map(|i| order_body(&format!("cust-{i}"), &[("SKU-A", 1, 100)], "tok_visa")).collect();
    let ids = join_all(bodies.iter().map(|b| app.place_order(b))).await;

    app.shutdown().await;
    let next = spawn_app(&nats).await;
    let orders = join_all(ids.iter().map(|id| next.wait_terminal(id))).await;

    assert!(orders.iter().all(|o| o["status"] == "COMPLETED"), "{orders:#?}");
    for id in &ids {
        let events = next.terminal_events(id).await;
        let completed = events.iter().filter(|e| e.subject == "ORDER.completed").count();
        assert_eq!(completed, 1, "ORDER.completed of {id}");
    }
    next.assert_stock_eventually("SKU-A", (15, 0)).await;
}
