use super::*;

fn stock(available: u64) -> StockRecord {
    StockRecord { available, ..Default::default() }
}

/// An uncontested run acting on order revision `token`.
fn stamp(token: u64) -> StockStamp {
    StockStamp { token, contested: false, now: 1_000 }
}

fn contested(token: u64) -> StockStamp {
    StockStamp { contested: true, ..stamp(token) }
}

#[test]
fn given_enough_stock_when_reserved_then_moved_to_reserved() {
    let mut s = stock(5);
    assert_eq!(s.reserve("o1", 3, stamp(1)), StockChange::Applied);
    assert_eq!((s.available, s.reserved), (2, 3));
    assert!(s.fences.is_empty(), "uncontested orders leave no fence");
}

#[test]
fn given_a_hold_when_reserve_is_replayed_then_nothing_changes() {
    let mut s = stock(5);
    s.reserve("o1", 3, stamp(1));
    assert_eq!(s.reserve("o1", 3, stamp(1)), StockChange::AlreadyDone);
    assert_eq!((s.available, s.reserved), (2, 3));
}

#[test]
fn given_short_stock_when_reserved_then_insufficient_and_unchanged() {
    let mut s = stock(2);
    assert_eq!(s.reserve("o1", 3, stamp(1)), StockChange::Insufficient);
    assert_eq!(s, stock(2));
}

#[test]
fn given_a_hold_when_released_twice_then_stock_returns_once() {
    let mut s = stock(5);
    s.reserve("o1", 3, stamp(1));
    assert_eq!(s.release("o1", 3, stamp(4)), StockChange::Applied);
    assert_eq!(s.release("o1", 3, stamp(4)), StockChange::AlreadyDone);
    assert_eq!((s.available, s.reserved), (5, 0));
}

#[test]
fn given_a_hold_when_committed_then_stock_is_sold() {
    let mut s = stock(5);
    s.reserve("o1", 3, stamp(1));
    assert_eq!(s.commit("o1", 3, stamp(4)), StockChange::Applied);
    assert_eq!(s.commit("o1", 3, stamp(4)), StockChange::AlreadyDone);
    assert_eq!((s.available, s.reserved), (2, 0));
}

#[test]
fn given_confirmed_reserves_when_many_orders_hold_stock_then_the_record_lists_none_of_them() {
    let mut s = stock(1_000);
    for i in 0..500 {
        let id = format!("o{i}");
        s.reserve(&id, 1, stamp(1));
        assert_eq!(s.confirm(&id, StockStep::Reserved), StockChange::Applied);
    }
    assert_eq!((s.available, s.reserved), (500, 500));
    assert!(s.journal.is_empty());
    assert_eq!(serde_json::to_string(&s).expect("json"), r#"{"available":500,"reserved":500}"#);
}

#[test]
fn given_a_confirmed_hold_when_committed_then_sold_from_the_quantity_the_order_names() {
    let mut s = stock(5);
    s.reserve("o1", 3, stamp(1));
    s.confirm("o1", StockStep::Reserved);
    assert_eq!(s.commit("o1", 3, stamp(4)), StockChange::Applied);
    assert_eq!(s.commit("o1", 3, stamp(4)), StockChange::AlreadyDone, "replayed before the order shows COMPLETED");
    assert_eq!((s.available, s.reserved), (2, 0));
    assert_eq!(s.confirm("o1", StockStep::Committed), StockChange::Applied);
    assert!(s.journal.is_empty());
}

#[test]
fn a_confirmation_of_another_step_keeps_the_entry() {
    let mut s = stock(5);
    s.reserve("o1", 3, stamp(1));
    s.commit("o1", 3, stamp(4));
    // A late confirmation of the reserve must not drop the commit's entry.
    assert_eq!(s.confirm("o1", StockStep::Reserved), StockChange::AlreadyDone);
    assert_eq!(s.commit("o1", 3, stamp(4)), StockChange::AlreadyDone);
    assert_eq!((s.available, s.reserved), (2, 0));
}

#[test]
fn given_a_committed_hold_when_released_then_superseded_and_unchanged() {
    let mut s = stock(5);
    s.reserve("o1", 3, stamp(1));
    s.commit("o1", 3, stamp(4));
    let before = s.clone();
    assert_eq!(s.release("o1", 3, stamp(4)), StockChange::Superseded);
    assert_eq!(s, before);
}

#[test]
fn given_an_unreserved_hold_when_reserved_again_then_held_once() {
    let mut s = stock(5);
    s.reserve("o1", 3, stamp(1));
    assert_eq!(s.unreserve("o1", stamp(1)), StockChange::Applied);
    assert_eq!(s.unreserve("o1", stamp(1)), StockChange::AlreadyDone);
    assert_eq!((s.available, s.reserved), (5, 0));
    assert_eq!(s.reserve("o1", 3, stamp(1)), StockChange::Applied);
    assert_eq!((s.available, s.reserved), (2, 3));
}

#[test]
fn given_a_contested_order_committed_when_a_stale_run_reserves_then_superseded_and_unchanged() {
    let mut s = stock(5);
    s.reserve("o1", 3, contested(2));
    s.commit("o1", 3, contested(4));
    s.confirm("o1", StockStep::Committed);
    let before = s.clone();
    // The first run read the order at revision 1 and was paused.
    assert_eq!(s.reserve("o1", 3, stamp(1)), StockChange::Superseded);
    assert_eq!(s, before);
    assert_eq!((s.available, s.reserved), (2, 0));
}

#[test]
fn given_a_contested_order_confirmed_when_a_stale_run_commits_then_superseded() {
    let mut s = stock(5);
    s.reserve("o1", 3, contested(2));
    s.confirm("o1", StockStep::Reserved);
    s.commit("o1", 3, contested(4));
    s.confirm("o1", StockStep::Committed);
    assert_eq!(s.commit("o1", 3, stamp(3)), StockChange::Superseded);
    assert_eq!((s.available, s.reserved), (2, 0));
}

#[test]
fn given_a_contested_order_when_reserved_again_at_any_token_after_settling_then_superseded() {
    let mut s = stock(5);
    s.reserve("o1", 3, contested(2));
    s.release("o1", 3, contested(4));
    assert_eq!(s.reserve("o1", 3, contested(9)), StockChange::Superseded);
    assert_eq!((s.available, s.reserved), (5, 0));
}

#[test]
fn given_a_newer_run_adopted_the_hold_when_the_older_run_undoes_it_then_superseded_and_held() {
    let mut s = stock(5);
    s.reserve("o1", 3, stamp(1));
    assert_eq!(s.reserve("o1", 3, contested(2)), StockChange::Applied, "the newer run fences the hold");
    assert_eq!(s.unreserve("o1", stamp(1)), StockChange::Superseded);
    assert_eq!((s.available, s.reserved), (2, 3));
}

#[test]
fn given_an_old_fence_without_journal_entry_when_pruned_then_dropped_and_a_journaled_one_kept() {
    let mut s = stock(5);
    s.reserve("o1", 1, contested(2));
    s.commit("o1", 1, contested(3));
    s.confirm("o1", StockStep::Committed);
    s.reserve("o2", 1, contested(2));
    s.prune(1_000 + FENCE_RETENTION_SECS);
    assert_eq!(s.fences.keys().collect::<Vec<_>>(), vec!["o2"]);
}

#[test]
fn given_a_contested_release_confirmed_away_when_another_run_releases_at_the_same_revision_then_stock_returns_once() {
    let mut s = stock(5);
    s.reserve("o1", 3, contested(2));
    assert_eq!(s.confirm("o1", StockStep::Reserved), StockChange::Applied);
    assert_eq!(s.release("o1", 3, contested(3)), StockChange::Applied);
    assert_eq!(s.confirm("o1", StockStep::Released), StockChange::Applied);
    // The other run of the order read the same revision before the order
    // record showed FAILED.
    assert_eq!(s.release("o1", 3, contested(3)), StockChange::AlreadyDone);
    assert_eq!(s.commit("o1", 3, contested(3)), StockChange::AlreadyDone);
    assert_eq!((s.available, s.reserved), (5, 0));
}

#[test]
fn entries_before_lists_only_old_entries_oldest_first_and_at_most_the_limit() {
    let mut s = stock(10);
    s.reserve("new", 1, StockStamp { now: 2_000, ..stamp(1) });
    s.reserve("old", 1, StockStamp { now: 900, ..stamp(1) });
    s.reserve("older", 1, StockStamp { now: 800, ..stamp(1) });
    s.commit("older", 1, StockStamp { now: 850, ..stamp(2) });

    assert_eq!(
        s.entries_before(1_000, 10),
        [("older".to_string(), StockStep::Committed), ("old".to_string(), StockStep::Reserved)]
    );
    assert_eq!(s.entries_before(1_000, 1), [("older".to_string(), StockStep::Committed)]);
}
