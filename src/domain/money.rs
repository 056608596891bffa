//! Money as integer minor units (cents) plus an ISO 4217 currency code.
//! Arithmetic is checked: an overflow is a validation error, never a wrap.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A three-letter upper-case ISO 4217 code such as `USD`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Currency(String);

impl Currency {
    /// Parses a currency code; `None` unless it is an ISO 4217 alphabetic
    /// code, written in upper case.
    pub fn parse(code: &str) -> Option<Self> {
        let valid = code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase());
        (valid && iso_currency::Currency::from_code(code).is_some()).then(|| Self(code.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Currency {
    fn default() -> Self {
        Self("USD".into())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An amount in minor units of its currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount_minor: i64, currency: Currency) -> Self {
        Self { amount_minor, currency }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} (minor units)", self.amount_minor, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_accepts_only_upper_case_iso_4217_codes() {
        for good in ["USD", "EUR", "JPY", "CHF"] {
            assert!(Currency::parse(good).is_some(), "{good} refused");
        }
        for bad in ["usd", "US", "USDT", "U$D", "", "ABC", "ZZZ"] {
            assert!(Currency::parse(bad).is_none(), "{bad} accepted");
        }
    }
}
