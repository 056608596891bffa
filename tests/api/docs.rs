//! The guarantees document names the tests that prove each guarantee
//! (`module::test_name`, or `module::*` for a whole file): every name must
//! be a test that exists, so the document cannot point at a renamed or
//! removed test.

use std::path::Path;

/// `(module path, test name)` for every `` `a::b` `` or `` `chaos::a::b` ``
/// reference in `text`.
fn references(text: &str) -> Vec<(String, String)> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|span| span.rsplit_once("::"))
        .filter(|(module, name)| {
            let word =
                |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit());
            module.split("::").all(word) && (*name == "*" || word(name))
        })
        .map(|(module, name)| (module.to_string(), name.to_string()))
        .collect()
}

#[test]
fn every_test_named_by_the_guarantees_document_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/guarantees.md")).expect("docs/guarantees.md");
    let refs = references(&doc);
    assert!(refs.len() > 20, "the document names its tests ({} found)", refs.len());
    for (module, name) in refs {
        let file = root.join("tests/api").join(format!("{}.rs", module.replace("::", "/")));
        let source = std::fs::read_to_string(&file).unwrap_or_else(|_| panic!("{module}: no {}", file.display()));
        if name != "*" {
            assert!(source.contains(&format!("fn {name}(")), "{module}::{name} is not a test in {}", file.display());
        }
    }
}
