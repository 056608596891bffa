//! Unit tests of `Settings::from_map`: defaults, ranges, and every bad
//! variable reported at once by name.

use super::*;

fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn empty_environment_gives_documented_defaults() {
    let s = Settings::from_map(&HashMap::new()).expect("defaults are valid");
    assert_eq!(s.nats.url, "nats://127.0.0.1:4222");
    assert_eq!(s.http.addr.to_string(), "0.0.0.0:8080");
    assert_eq!(s.pool.size, 10);
    assert!(s.payment.gateway_url.is_none());
}

#[test]
fn every_invalid_variable_is_reported_by_name_at_once() {
    let raw = map(&[("WORKER_POOL_SIZE", "ten"), ("HTTP_ADDR", "nowhere"), ("PAYMENT_GATEWAY_URL", "ftp://x")]);
    let err = Settings::from_map(&raw).expect_err("invalid values").to_string();
    for name in ["WORKER_POOL_SIZE", "HTTP_ADDR", "PAYMENT_GATEWAY_URL"] {
        assert!(err.contains(name), "{name} missing from: {err}");
    }
}

#[test]
fn zero_workers_is_rejected() {
    let err = Settings::from_map(&map(&[("WORKER_POOL_SIZE", "0")])).expect_err("zero workers");
    assert!(err.to_string().contains("WORKER_POOL_SIZE"));
}

#[test]
fn http_workers_default_to_the_cores_and_zero_is_rejected() {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    assert_eq!(Settings::from_map(&map(&[])).expect("defaults").http.workers, cores);
    let s = Settings::from_map(&map(&[("HTTP_WORKERS", "3")])).expect("3 workers");
    assert_eq!(s.http.workers, 3);
    let err = Settings::from_map(&map(&[("HTTP_WORKERS", "0")])).expect_err("0 workers");
    assert!(err.to_string().contains("HTTP_WORKERS"));
}

#[test]
fn zero_worker_threads_is_allowed_and_too_many_is_rejected() {
    let s = Settings::from_map(&map(&[("WORKER_THREADS", "0")])).expect("0 = the system arbiter");
    assert_eq!(s.pool.threads, 0);
    let err = Settings::from_map(&map(&[("WORKER_THREADS", "65")])).expect_err("too many");
    assert!(err.to_string().contains("WORKER_THREADS"));
}

#[test]
fn http_keep_alive_outlasts_client_pools_and_can_be_set() {
    let s = Settings::from_map(&HashMap::new()).expect("defaults are valid");
    assert_eq!(s.http.keep_alive, Duration::from_secs(120));
    let s = Settings::from_map(&map(&[("HTTP_KEEP_ALIVE_SECS", "30")])).expect("valid");
    assert_eq!(s.http.keep_alive, Duration::from_secs(30));
    let err = Settings::from_map(&map(&[("HTTP_KEEP_ALIVE_SECS", "0")])).expect_err("zero");
    assert!(err.to_string().contains("HTTP_KEEP_ALIVE_SECS"));
}

#[test]
fn order_retention_defaults_to_90_days_0_keeps_forever_and_out_of_range_is_rejected() {
    let s = Settings::from_map(&HashMap::new()).expect("defaults are valid");
    assert_eq!(s.retention.orders, Some(Duration::from_secs(90 * 86_400)));
    let s = Settings::from_map(&map(&[("ORDER_RETENTION_DAYS", "0")])).expect("forever");
    assert_eq!(s.retention.orders, None);
    let s = Settings::from_map(&map(&[("ORDER_RETENTION_DAYS", "31")])).expect("the minimum");
    assert_eq!(s.retention.orders, Some(Duration::from_secs(31 * 86_400)));
    for bad in ["30", "1", "-5", "ninety", "36501"] {
        let err = Settings::from_map(&map(&[("ORDER_RETENTION_DAYS", bad)])).expect_err(bad).to_string();
        assert!(err.contains("ORDER_RETENTION_DAYS"), "{bad}: {err}");
    }
}

#[test]
fn sample_inventory_parses_pairs() {
    let s = Settings::from_map(&map(&[("SAMPLE_INVENTORY", "A-1=5, B-2=0")])).expect("valid");
    assert_eq!(s.sample_inventory, vec![("A-1".to_string(), 5), ("B-2".to_string(), 0)]);
}

#[test]
fn several_nats_urls_are_split() {
    let s = Settings::from_map(&map(&[("NATS_URL", "nats://a:1, nats://b:2")])).expect("valid");
    assert_eq!(s.nats.urls(), vec!["nats://a:1", "nats://b:2"]);
}

#[test]
fn a_bad_variable_in_every_section_is_reported_together() {
    let bad = [
        ("NATS_REPLICAS", "9"),
        ("HTTP_BODY_TIMEOUT_SECS", "0"),
        ("MAILBOX_CAPACITY", "0"),
        ("MAX_DELIVER", "1"),
        ("PAYMENT_SIM_FAILURE_RATE", "2"),
        ("ORDER_RETENTION_DAYS", "5"),
        ("LOG_FORMAT", "xml"),
        ("JAEGER_UI_URL", "jaeger:16686"),
        ("SHUTDOWN_TIMEOUT_SECS", "0"),
        ("SAMPLE_INVENTORY", "A-1"),
    ];
    let err = Settings::from_map(&map(&bad)).expect_err("invalid values").to_string();
    for (name, _) in bad {
        assert!(err.contains(name), "{name} missing from: {err}");
    }
}
