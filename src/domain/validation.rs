//! Validation of a submitted order: the raw request shape ([`NewOrder`]) and
//! the rules it must meet before anything is published. Bounds are in
//! [`limits`] and documented in the README.

use serde::{Deserialize, Serialize};

use super::text::{is_bidi_control, is_line_separator, looks_like_card_number, visible_trim};
use super::{Currency, OrderItem};

/// Bounds on submitted orders.
pub mod limits {
    pub const MAX_CUSTOMER_ID_LEN: usize = 128;
    pub const MAX_ITEMS: usize = 100;
    pub const MAX_SKU_LEN: usize = 64;
    pub const MAX_QUANTITY: i64 = 10_000;
    /// 10^11 minor units per line item (one billion in a two-decimal currency).
    pub const MAX_UNIT_PRICE_MINOR: i64 = 100_000_000_000;
    pub const MAX_PAYMENT_TOKEN_LEN: usize = 128;
    pub const DEFAULT_PAYMENT_TOKEN: &str = "tok_visa";
}

/// The `POST /orders` body as received.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"customer_id": "c-1", "items": [{"sku": "SKU-RED", "quantity": 2, "unit_price_minor": 1999}],
    "currency": "USD", "payment_token": "tok_visa"}))]
// The `schema` attributes give the OpenAPI document the bounds below (a test
// keeps them equal to `limits`); http::openapi adds the patterns.
pub struct NewOrder {
    /// Visible text: no control characters, line separators or bidirectional controls.
    #[schema(min_length = 1, max_length = 128)]
    pub customer_id: String,
    /// Each `sku` at most once; the order total must fit in an i64.
    #[schema(min_items = 1, max_items = 100)]
    pub items: Vec<NewOrderItem>,
    /// ISO 4217 code; `USD` when absent.
    #[serde(default)]
    pub currency: Option<String>,
    /// The payment provider's token, never card data (a card-number-shaped
    /// value is refused); `tok_visa` when absent. Visible text, like `customer_id`.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 128)]
    pub payment_token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrderItem {
    /// [`SKU_GRAMMAR`].
    #[schema(min_length = 1, max_length = 64)]
    pub sku: String,
    #[schema(minimum = 1, maximum = 10000)]
    pub quantity: i64,
    /// Integer minor units (cents), never a float.
    #[schema(minimum = 0, maximum = 100_000_000_000i64)]
    pub unit_price_minor: i64,
}

/// The first rule a submitted order breaks, with the JSON path of the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: String,
    pub message: String,
    pub rule: Rule,
}

/// Which kind of rule was broken (callers map it to an error code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// A SKU outside [`SKU_GRAMMAR`].
    Sku,
    /// Any other field rule.
    Field,
}

/// The SKU grammar, as a regular expression: dot-separated tokens of
/// `A-Z a-z 0-9 _ -`, at most [`limits::MAX_SKU_LEN`] characters in all.
/// It is exactly the set of KV keys a stock record can be stored under
/// (no empty token: no leading, trailing or doubled dot).
pub const SKU_GRAMMAR: &str = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$";

/// The grammar in words, for error messages.
pub const SKU_RULE: &str =
    "sku must be 1-64 characters: dot-separated parts of A-Z a-z 0-9 _ - (no leading, trailing or doubled dot)";

/// A submitted order that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidOrder {
    pub customer_id: String,
    pub items: Vec<OrderItem>,
    pub currency: Currency,
    pub payment_token: String,
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> ValidationError {
    ValidationError { field: field.into(), message: message.into(), rule: Rule::Field }
}

/// Whether `sku` matches [`SKU_GRAMMAR`] (the KV key rules).
pub fn is_valid_sku(sku: &str) -> bool {
    let part_ok =
        |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b));
    sku.len() <= limits::MAX_SKU_LEN && sku.split('.').all(part_ok)
}

fn check_text(field: &str, value: &str, max: usize) -> Result<(), ValidationError> {
    if visible_trim(value).is_empty() {
        return Err(invalid(field, "must not be empty (invisible characters do not count)"));
    }
    if value.chars().count() > max {
        return Err(invalid(field, format!("must be at most {max} characters")));
    }
    if value.chars().any(|c| c.is_control() || is_line_separator(c)) {
        return Err(invalid(field, "must not contain control characters or line separators"));
    }
    if value.chars().any(is_bidi_control) {
        return Err(invalid(field, "must not contain bidirectional override characters"));
    }
    Ok(())
}

/// A provider token, never card data: a card-number-shaped value is refused
/// and not echoed back.
fn check_payment_token(token: &str) -> Result<(), ValidationError> {
    check_text("payment_token", token, limits::MAX_PAYMENT_TOKEN_LEN)?;
    if looks_like_card_number(token) {
        return Err(invalid(
            "payment_token",
            "looks like a card number; send the payment provider's token, never card data",
        ));
    }
    Ok(())
}

fn check_item(index: usize, item: &NewOrderItem) -> Result<OrderItem, ValidationError> {
    let path = |f: &str| format!("items[{index}].{f}");
    if !is_valid_sku(&item.sku) {
        return Err(ValidationError { field: path("sku"), message: SKU_RULE.into(), rule: Rule::Sku });
    }
    if !(1..=limits::MAX_QUANTITY).contains(&item.quantity) {
        return Err(invalid(path("quantity"), format!("must be between 1 and {}", limits::MAX_QUANTITY)));
    }
    if !(0..=limits::MAX_UNIT_PRICE_MINOR).contains(&item.unit_price_minor) {
        let max = limits::MAX_UNIT_PRICE_MINOR;
        return Err(invalid(path("unit_price_minor"), format!("must be between 0 and {max} (integer minor units)")));
    }
    Ok(OrderItem {
        sku: item.sku.clone(),
        quantity: u32::try_from(item.quantity).map_err(|_| invalid(path("quantity"), "out of range"))?,
        unit_price_minor: item.unit_price_minor,
    })
}

impl NewOrder {
    /// Checks every rule; returns the first violation.
    pub fn validate(&self) -> Result<ValidOrder, ValidationError> {
        check_text("customer_id", &self.customer_id, limits::MAX_CUSTOMER_ID_LEN)?;
        if self.items.is_empty() {
            return Err(invalid("items", "must contain at least one item"));
        }
        if self.items.len() > limits::MAX_ITEMS {
            return Err(invalid("items", format!("must contain at most {} items", limits::MAX_ITEMS)));
        }
        let items = self.items.iter().enumerate().map(|(i, item)| check_item(i, item));
        let items = items.collect::<Result<Vec<_>, _>>()?;
        check_unique_skus(&items)?;
        check_total(&items)?;
        let currency = match self.currency.as_deref() {
            None => Currency::default(),
            Some(code) => Currency::parse(code)
                .ok_or_else(|| invalid("currency", "must be a 3-letter ISO 4217 code such as USD"))?,
        };
        let token = self.payment_token.as_deref().unwrap_or(limits::DEFAULT_PAYMENT_TOKEN);
        check_payment_token(token)?;
        Ok(ValidOrder { customer_id: self.customer_id.clone(), items, currency, payment_token: token.to_string() })
    }
}

fn check_unique_skus(items: &[OrderItem]) -> Result<(), ValidationError> {
    let mut seen = std::collections::HashSet::new();
    match items.iter().position(|i| !seen.insert(i.sku.as_str())) {
        Some(index) => Err(invalid(format!("items[{index}].sku"), "each sku may appear only once; sum the quantities")),
        None => Ok(()),
    }
}

fn check_total(items: &[OrderItem]) -> Result<(), ValidationError> {
    items
        .iter()
        .try_fold(0i64, |sum, i| i.unit_price_minor.checked_mul(i64::from(i.quantity))?.checked_add(sum))
        .map(|_| ())
        .ok_or_else(|| invalid("items", "order total overflows"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> NewOrder {
        let item = NewOrderItem { sku: "SKU-1".into(), quantity: 2, unit_price_minor: 1999 };
        NewOrder { customer_id: "c-1".into(), items: vec![item], currency: None, payment_token: None }
    }

    fn field_of(o: NewOrder) -> String {
        o.validate().expect_err("should be invalid").field
    }

    #[test]
    fn a_well_formed_order_gets_defaults() {
        let valid = order().validate().expect("valid");
        assert_eq!(valid.currency.as_str(), "USD");
        assert_eq!(valid.payment_token, "tok_visa");
    }

    #[test]
    fn empty_customer_id_is_rejected() {
        let mut o = order();
        o.customer_id = "  ".into();
        assert_eq!(field_of(o), "customer_id");
    }

    #[test]
    fn empty_items_are_rejected() {
        let mut o = order();
        o.items.clear();
        assert_eq!(field_of(o), "items");
    }

    #[test]
    fn zero_quantity_is_rejected() {
        let mut o = order();
        o.items[0].quantity = 0;
        assert_eq!(field_of(o), "items[0].quantity");
    }

    #[test]
    fn negative_price_is_rejected_and_zero_is_allowed() {
        let mut o = order();
        o.items[0].unit_price_minor = 0;
        assert!(o.clone().validate().is_ok());
        o.items[0].unit_price_minor = -1;
        assert_eq!(field_of(o), "items[0].unit_price_minor");
    }

    #[test]
    fn sku_with_unsafe_characters_is_rejected() {
        let mut o = order();
        o.items[0].sku = "a b*".into();
        assert_eq!(field_of(o), "items[0].sku");
    }

    #[test]
    fn skus_that_are_not_kv_keys_are_rejected_as_sku_errors() {
        for bad in ["zz.", ".a", "a..b", "..", ".", "", "a>", "a*", "a/b", "a=b"] {
            let mut o = order();
            o.items[0].sku = bad.into();
            let err = o.validate().expect_err(bad);
            assert_eq!((err.field.as_str(), err.rule), ("items[0].sku", Rule::Sku), "{bad}");
        }
        for good in ["a", "a.b", "SKU-1", "x_y.z-9", &"a".repeat(64)] {
            assert!(is_valid_sku(good), "{good}");
        }
        assert!(!is_valid_sku(&"a".repeat(65)));
    }

    #[test]
    fn customer_id_of_only_invisible_characters_is_rejected() {
        let mut o = order();
        o.customer_id = "\u{200B}\u{FEFF}\u{2060}".into();
        assert_eq!(field_of(o), "customer_id");
    }

    #[test]
    fn customer_id_with_bidi_override_or_line_separator_is_rejected() {
        for bad in ["c\u{202E}1", "c\u{2066}1", "c\u{2028}1"] {
            let mut o = order();
            o.customer_id = bad.into();
            assert_eq!(field_of(o), "customer_id", "{bad:?}");
        }
    }

    #[test]
    fn card_number_shaped_payment_token_is_rejected_without_echoing_it() {
        let mut o = order();
        o.payment_token = Some("4111111111111111".into());
        let err = o.validate().expect_err("card number");
        assert_eq!(err.field, "payment_token");
        assert!(!err.to_string().contains("4111"), "echoed: {err}");
    }

    #[test]
    fn unknown_currency_code_is_rejected() {
        let mut o = order();
        o.currency = Some("ABC".into());
        assert_eq!(field_of(o), "currency");
    }

    #[test]
    fn duplicate_skus_are_rejected() {
        let mut o = order();
        o.items.push(o.items[0].clone());
        assert_eq!(field_of(o), "items[1].sku");
    }

    #[test]
    fn too_many_items_are_rejected() {
        let mut o = order();
        o.items = (0..=limits::MAX_ITEMS)
            .map(|i| NewOrderItem { sku: format!("S{i}"), quantity: 1, unit_price_minor: 1 })
            .collect();
        assert_eq!(field_of(o), "items");
    }

    #[test]
    fn lowercase_currency_is_rejected() {
        let mut o = order();
        o.currency = Some("usd".into());
        assert_eq!(field_of(o), "currency");
    }
}
