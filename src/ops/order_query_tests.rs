use super::*;
use crate::domain::{Currency, OrderItem};
use time::Duration;

fn at(minute: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time") + Duration::minutes(minute)
}

fn order(customer: &str, minute: i64, status: OrderStatus, reason: Option<FailureReason>) -> Order {
    let items = vec![OrderItem { sku: "SKU-A".into(), quantity: 1, unit_price_minor: 100 }];
    let mut order =
        Order::pending(OrderId::generate(), customer.into(), items, Currency::default(), "t".into(), at(minute));
    order.status = status;
    order.failure_reason = reason;
    order.updated_at = at(minute) + Duration::milliseconds(1400);
    order
}

fn query(limit: usize) -> OrderQuery {
    OrderQuery { statuses: vec![], reason: None, customer_id: None, since: at(0), until: at(60), limit, cursor: None }
}

fn page(query: OrderQuery, orders: &[Order]) -> OrderPage {
    let mut builder = PageBuilder::new(query, at(61));
    for o in orders {
        builder.offer(o.clone());
    }
    builder.finish()
}

fn minutes(page: &OrderPage) -> Vec<i64> {
    page.orders.iter().map(|r| (r.created_at - at(0)).whole_minutes()).collect()
}

#[test]
fn pages_run_newest_first_and_the_cursor_continues_where_the_last_page_ended() {
    let orders: Vec<Order> = [5, 1, 9, 3, 7].iter().map(|m| order("c", *m, OrderStatus::Completed, None)).collect();
    let first = page(query(2), &orders);
    assert_eq!(minutes(&first), vec![9, 7]);
    let cursor = Cursor::parse(first.next_cursor.as_deref().expect("a next page"));
    let second = page(OrderQuery { cursor: cursor.clone(), ..query(2) }, &orders);
    assert_eq!(minutes(&second), vec![5, 3]);
    let cursor = Cursor::parse(second.next_cursor.as_deref().expect("a last page"));
    let last = page(OrderQuery { cursor, ..query(2) }, &orders);
    assert_eq!(minutes(&last), vec![1]);
    assert_eq!(last.next_cursor, None, "no cursor on the last page");
    assert_eq!(last.matched, 5, "matched counts the whole query");
}

#[test]
fn filters_combine_and_failures_are_counted_by_reason() {
    let orders = vec![
        order("c-42", 1, OrderStatus::Failed, Some(FailureReason::OutOfStock)),
        order("c-42", 2, OrderStatus::Failed, Some(FailureReason::PaymentDeclined)),
        order("c-7", 3, OrderStatus::Failed, Some(FailureReason::PaymentDeclined)),
        order("c-42", 4, OrderStatus::Completed, None),
        order("c-42", 90, OrderStatus::Failed, Some(FailureReason::OutOfStock)),
    ];
    let failed = page(OrderQuery { statuses: vec![OrderStatus::Failed], ..query(10) }, &orders);
    assert_eq!(minutes(&failed), vec![3, 2, 1], "minute 90 is outside the window");
    assert_eq!(failed.by_reason, BTreeMap::from([("OUT_OF_STOCK", 1), ("PAYMENT_DECLINED", 2)]));
    let declined_c42 =
        OrderQuery { reason: Some(FailureReason::PaymentDeclined), customer_id: Some("c-42".into()), ..query(10) };
    assert_eq!(minutes(&page(declined_c42, &orders)), vec![2]);
}

#[test]
fn a_row_carries_the_time_spent_and_a_running_order_counts_until_now() {
    let done = order("c", 1, OrderStatus::Completed, None);
    let running = order("c", 2, OrderStatus::StockReserved, None);
    let rows = page(query(10), &[done, running]).orders;
    assert_eq!(rows[1].elapsed_ms, 1400, "terminal: created → last change");
    assert_eq!(rows[0].elapsed_ms, 59 * 60 * 1000, "running: created → now");
}

#[test]
fn a_cursor_round_trips_and_garbage_is_refused() {
    let row = order("c", 1, OrderStatus::Completed, None);
    let cursor = Cursor::of(&row);
    assert_eq!(Cursor::parse(&cursor.to_string()), Some(cursor));
    for bad in ["", "12", "x_y", "12_not-a-uuid", "_"] {
        assert_eq!(Cursor::parse(bad), None, "{bad:?}");
    }
}
