//! `docs/events.md` (the event catalogue) names everything the contract
//! defines: every subject, message, field and failure reason of
//! `proto/orders/v1/events.proto`. A field added to the proto without its
//! documentation fails here.

use order_events::EventKind;

const CATALOGUE: &str = include_str!("../../docs/events.md");
const PROTO: &str = include_str!("../../proto/orders/v1/events.proto");

/// Names declared by the proto: messages, enum values and fields (not
/// comments or `reserved` lines).
fn declared_names() -> Vec<String> {
    let mut names = Vec::new();
    for line in PROTO.lines().map(str::trim) {
        let skipped = ["//", "reserved", "syntax", "package", "import", "option"];
        if skipped.iter().any(|s| line.starts_with(s)) {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["message", name, ..] | ["enum", name, ..] => names.push((*name).to_string()),
            [value, "=", _] => names.push((*value).to_string()),
            [_, field, "=", _] | ["repeated", _, field, "=", _] => names.push((*field).to_string()),
            _ => {}
        }
    }
    names
}

#[test]
fn the_catalogue_names_every_subject_message_field_and_reason_of_the_proto() {
    let names = declared_names();
    assert!(names.len() > 30, "the proto parse found too little: {names:?}");
    let mut missing: Vec<String> = names.into_iter().filter(|n| !CATALOGUE.contains(&format!("`{n}"))).collect();
    missing.extend(EventKind::ALL.iter().map(|k| k.subject()).filter(|s| !CATALOGUE.contains(&format!("`{s}`"))));
    assert!(missing.is_empty(), "docs/events.md does not name: {missing:?}");
}
