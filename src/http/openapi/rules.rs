//! The validation rules that the OpenAPI document takes from the code
//! rather than from attribute literals: the SKU grammar ([`SKU_GRAMMAR`]),
//! the ISO 4217 codes [`Currency::parse`] accepts, and the free-text rule of
//! `customer_id` and `payment_token` (visible, no control characters, line
//! separators or bidirectional controls). Tests check each pattern against
//! the validation it describes.

use serde_json::json;
use utoipa::Modify;
use utoipa::openapi::schema::{Object, Schema};
use utoipa::openapi::{OpenApi as Document, RefOr};

use crate::domain::{Currency, SKU_GRAMMAR};

/// Characters free text may not contain anywhere: C0 and C1 controls, line
/// and paragraph separators, bidirectional embeddings, overrides, isolates.
const FORBIDDEN: &str = r"\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069";
/// Characters that do not make text visible: the above, whitespace and
/// invisible formatting characters.
const BLANK: &str = r"\u0000-\u0020\u007F-\u00A0\u00AD\u034F\u061C\u115F\u1160\u1680\u17B4\u17B5\u180E\u2000-\u200F\u2028-\u202F\u205F-\u2064\u2066-\u2069\u3000\u3164\uFEFF\uFFA0";

/// Free text: at least one visible character, none forbidden.
pub(super) fn free_text_pattern() -> String {
    format!("^[^{FORBIDDEN}]*[^{BLANK}][^{FORBIDDEN}]*$")
}

/// Every code [`Currency::parse`] accepts, in order.
pub(super) fn currency_codes() -> Vec<String> {
    let letters = b'A'..=b'Z';
    let codes = letters.clone().flat_map(|a| {
        letters.clone().flat_map(move |b| (b'A'..=b'Z').map(move |c| String::from_utf8_lossy(&[a, b, c]).into_owned()))
    });
    codes.filter(|code| Currency::parse(code).is_some()).collect()
}

/// Puts the rules into the request schemas and the `{sku}` parameters.
#[derive(Debug)]
pub(super) struct Rules;

impl Modify for Rules {
    fn modify(&self, doc: &mut Document) {
        let Some(schemas) = doc.components.as_mut().map(|c| &mut c.schemas) else {
            return;
        };
        if let Some(RefOr::T(Schema::Object(order))) = schemas.get_mut("NewOrder") {
            set_pattern(order, "customer_id", &free_text_pattern());
            set_pattern(order, "payment_token", &free_text_pattern());
            if let Some(RefOr::T(Schema::Object(currency))) = order.properties.get_mut("currency") {
                let mut codes: Vec<_> = currency_codes().into_iter().map(|c| json!(c)).collect();
                codes.push(json!(null));
                currency.enum_values = Some(codes);
            }
        }
        if let Some(RefOr::T(Schema::Object(item))) = schemas.get_mut("NewOrderItem") {
            set_pattern(item, "sku", SKU_GRAMMAR);
        }
        for item in doc.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.put];
            for parameter in operations.into_iter().flatten().flat_map(|o| o.parameters.iter_mut().flatten()) {
                if let RefOr::T(parameter) = parameter
                    && parameter.name == "sku"
                    && let Some(RefOr::T(Schema::Object(schema))) = parameter.schema.as_mut()
                {
                    schema.pattern = Some(SKU_GRAMMAR.to_string());
                }
            }
        }
    }
}

fn set_pattern(object: &mut Object, property: &str, pattern: &str) {
    if let Some(RefOr::T(Schema::Object(schema))) = object.properties.get_mut(property) {
        schema.pattern = Some(pattern.to_string());
    }
}

#[cfg(test)]
mod tests {
    use regex::Regex;

    use super::*;
    use crate::domain::{NewOrder, NewOrderItem, is_valid_sku, limits};

    fn accepts_customer_id(customer_id: String) -> bool {
        let item = NewOrderItem { sku: "SKU-1".into(), quantity: 1, unit_price_minor: 1 };
        let order = NewOrder { customer_id, items: vec![item], currency: None, payment_token: None };
        match order.validate() {
            Ok(_) => true,
            Err(e) => {
                assert_eq!(e.field, "customer_id", "{e}");
                false
            }
        }
    }

    #[test]
    fn the_free_text_pattern_accepts_exactly_what_validation_accepts_for_every_character() {
        let pattern = Regex::new(&free_text_pattern()).expect("pattern compiles");
        // Every rule is about BMP characters; the first two supplementary planes check the rest.
        for c in (0..0x3_0000_u32).filter_map(char::from_u32) {
            let alone = c.to_string();
            assert_eq!(pattern.is_match(&alone), accepts_customer_id(alone.clone()), "{c:?} alone");
            let inside = format!("a{c}a");
            assert_eq!(pattern.is_match(&inside), accepts_customer_id(inside.clone()), "{c:?} inside");
        }
    }

    #[test]
    fn the_sku_grammar_with_its_length_bound_is_exactly_is_valid_sku() {
        let grammar = Regex::new(SKU_GRAMMAR).expect("grammar compiles");
        let long = "a".repeat(limits::MAX_SKU_LEN);
        let samples =
            ["a", "SKU-RED", "a.b", "a_b-c.D9", "a..b", ".a", "a.", ".", "", "a b", "a/b", "a*", "é", "a.b.c", &long];
        for sku in samples.iter().copied().chain([format!("{long}b").as_str()]) {
            let documented = grammar.is_match(sku) && sku.chars().count() <= limits::MAX_SKU_LEN;
            assert_eq!(documented, is_valid_sku(sku), "{sku:?}");
        }
    }

    #[test]
    fn currency_codes_are_the_iso_4217_codes_the_service_accepts() {
        let codes = currency_codes();
        assert!(codes.iter().any(|c| c == "USD") && codes.iter().any(|c| c == "EUR"), "{codes:?}");
        assert!(!codes.iter().any(|c| c == "ABC"), "ABC is no currency");
        assert!(codes.iter().all(|c| Currency::parse(c).is_some()));
    }
}
