//! HTTP payment provider: `POST {url}/v1/charges` with an `Idempotency-Key`.
//! 2xx `{"charge_id","status":"succeeded"}` = captured; 402 = declined;
//! anything else (429, 5xx, other 4xx, timeouts, connection errors) is
//! transient, because the charge may or may not have happened.

use futures::FutureExt;
use futures::future::BoxFuture;
use std::time::Duration;

use crate::error::Context;
use crate::telemetry::TraceContext;
use tracing::Instrument;

use super::{ChargeRequest, PaymentError, PaymentGateway, PaymentOutcome};

#[derive(Debug, Clone)]
pub struct HttpGateway {
    client: reqwest::Client,
    charges_url: String,
}

#[derive(Debug, serde::Deserialize)]
struct ChargeResponse {
    charge_id: String,
    #[serde(default)]
    status: String,
}

#[derive(Debug, serde::Deserialize)]
struct DeclineBody {
    #[serde(default)]
    error: Option<serde_json::Value>,
}

impl HttpGateway {
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder().timeout(timeout).connect_timeout(timeout).build()?;
        Ok(Self { client, charges_url: format!("{}/v1/charges", base_url.trim_end_matches('/')) })
    }
}

impl PaymentGateway for HttpGateway {
    fn charge(&self, request: &ChargeRequest) -> BoxFuture<'static, Result<PaymentOutcome, PaymentError>> {
        let span = tracing::info_span!(
            "payment.http",
            otel.kind = "client",
            http.url = %self.charges_url,
            http.status_code = tracing::field::Empty
        );
        let mut call =
            self.client.post(&self.charges_url).header("Idempotency-Key", request.idempotency_key()).json(request);
        // The provider's own traces join the order's trace.
        for (name, value) in TraceContext::of(&span).pairs() {
            call = call.header(name, value);
        }
        async move {
            let response = call.send().await.map_err(PaymentError::unavailable)?;
            tracing::Span::current().record("http.status_code", response.status().as_u16());
            interpret(response).await
        }
        .instrument(span)
        .boxed()
    }
}

async fn interpret(response: reqwest::Response) -> Result<PaymentOutcome, PaymentError> {
    let status = response.status();
    if status.is_success() {
        let body: ChargeResponse =
            response.json().await.map_err(|e| PaymentError::unavailable(Context::new("unreadable 2xx body", e)))?;
        if body.status != "succeeded" || body.charge_id.is_empty() {
            return Err(PaymentError::unavailable(format!("2xx with status {:?}", body.status)));
        }
        return Ok(PaymentOutcome::Captured { charge_id: body.charge_id });
    }
    if status == reqwest::StatusCode::PAYMENT_REQUIRED {
        let body: DeclineBody = response.json().await.unwrap_or(DeclineBody { error: None });
        let reason = body.error.map(|e| e.to_string()).unwrap_or_else(|| "declined".into());
        return Ok(PaymentOutcome::Declined { reason });
    }
    Err(PaymentError::unavailable(format!("provider answered {status}")))
}
