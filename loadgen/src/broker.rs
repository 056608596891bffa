//! The broker's own counters: how many messages nats-server received from
//! its clients (`in_msgs` of its `/varz` monitoring endpoint). Every
//! JetStream round trip of the service (a KV read or write, a publish, an
//! ack, a pull request) is one such message, so the difference over a
//! window, divided by the orders that finished in it, is the round trips
//! per order as the broker counted them, not as the code is assumed to do.
//! loadgen's own event observer only subscribes and adds nothing.

use std::time::Duration;

/// `in_msgs` of the nats-server monitored at `monitor_url`; `None` if it
/// does not answer (monitoring off).
pub(crate) async fn in_msgs(monitor_url: &str) -> Option<u64> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().ok()?;
    let varz: serde_json::Value =
        client.get(format!("{}/varz", monitor_url.trim_end_matches('/'))).send().await.ok()?.json().await.ok()?;
    varz["in_msgs"].as_u64()
}

/// Messages per order between two samples.
pub(crate) fn per_order(before: Option<u64>, after: Option<u64>, orders: u64) -> Option<f64> {
    let (before, after) = (before?, after?);
    (orders > 0).then(|| after.saturating_sub(before) as f64 / orders as f64)
}

#[cfg(test)]
mod tests {
    use super::per_order;

    #[test]
    fn round_trips_per_order_need_both_samples_and_an_order() {
        assert_eq!(per_order(Some(100), Some(1_300), 100), Some(12.0));
        assert_eq!(per_order(None, Some(1_300), 100), None);
        assert_eq!(per_order(Some(100), Some(1_300), 0), None);
    }
}
