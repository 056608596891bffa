//! The `payment` section: the HTTP payment provider or the built-in
//! simulator, and the call timeout. Builds the gateway the payment actor
//! calls.

use std::sync::Arc;
use std::time::Duration;

use super::parse::Parser;
use crate::actors::payment::{HttpGateway, PaymentGateway, Simulator};

/// Which payment provider is called, and how.
#[derive(Debug, Clone)]
pub struct PaymentSettings {
    /// `PAYMENT_GATEWAY_URL`: HTTP payment provider; unset = built-in simulator.
    pub gateway_url: Option<String>,
    /// `PAYMENT_TIMEOUT_MS`: timeout of one call to the payment provider.
    pub timeout: Duration,
    /// `PAYMENT_SIM_LATENCY_MS`: simulated provider latency.
    pub sim_latency: Duration,
    /// `PAYMENT_SIM_FAILURE_RATE`: share (0.0..=1.0) of simulated calls that
    /// fail transiently (a probability, not money).
    pub sim_failure_rate: f64,
}

impl Default for PaymentSettings {
    fn default() -> Self {
        Self { gateway_url: None, timeout: Duration::from_secs(5), sim_latency: Duration::ZERO, sim_failure_rate: 0.0 }
    }
}

impl PaymentSettings {
    pub(super) fn read(p: &mut Parser<'_>) -> Self {
        let d = Self::default();
        Self {
            gateway_url: p.url("PAYMENT_GATEWAY_URL"),
            timeout: p.millis("PAYMENT_TIMEOUT_MS", d.timeout),
            sim_latency: p.millis("PAYMENT_SIM_LATENCY_MS", d.sim_latency),
            sim_failure_rate: failure_rate(p, "PAYMENT_SIM_FAILURE_RATE"),
        }
    }

    /// The HTTP gateway when a provider URL is set, else the simulator.
    /// Fails only when the HTTP client cannot be built (TLS set-up).
    pub fn gateway(&self) -> Result<Arc<dyn PaymentGateway>, reqwest::Error> {
        Ok(match &self.gateway_url {
            Some(url) => {
                tracing::info!(url, "payment: HTTP gateway");
                Arc::new(HttpGateway::new(url, self.timeout)?)
            }
            None => {
                tracing::info!("payment: built-in simulator (set PAYMENT_GATEWAY_URL for a real provider)");
                Arc::new(Simulator::new(self.sim_latency, self.sim_failure_rate))
            }
        })
    }
}

fn failure_rate(p: &mut Parser<'_>, name: &str) -> f64 {
    let rate: f64 = p.parse(name, 0.0);
    if (0.0..=1.0).contains(&rate) {
        return rate;
    }
    p.fail(name, &rate.to_string(), "must be between 0.0 and 1.0", 0.0)
}
