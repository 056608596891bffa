//! `Parser`: reads one variable at a time from the `VARIABLE -> value` map
//! and parses it, falling back to the default and recording the problem
//! (with the variable's name) instead of stopping, so every bad value is
//! reported at once.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// Collects parsed values and the problems met on the way.
#[derive(Debug)]
pub(super) struct Parser<'a> {
    raw: &'a HashMap<String, String>,
    pub(super) errors: Vec<String>,
}

impl<'a> Parser<'a> {
    pub(super) fn new(raw: &'a HashMap<String, String>) -> Self {
        Self { raw, errors: Vec::new() }
    }

    /// The trimmed value; an empty value counts as unset.
    pub(super) fn text(&self, name: &str) -> Option<String> {
        self.raw.get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
    }

    /// Records a problem with `name` and returns `fallback`.
    pub(super) fn fail<T>(&mut self, name: &str, value: &str, why: impl fmt::Display, fallback: T) -> T {
        self.errors.push(format!("{name}={value:?}: {why}"));
        fallback
    }

    pub(super) fn parse<T: FromStr>(&mut self, name: &str, default: T) -> T
    where
        T::Err: fmt::Display,
    {
        match self.text(name) {
            None => default,
            Some(v) => match v.parse() {
                Ok(parsed) => parsed,
                Err(e) => self.fail(name, &v, e, default),
            },
        }
    }

    pub(super) fn bounded(&mut self, name: &str, default: usize, min: usize, max: usize) -> usize {
        let value = self.parse(name, default);
        if (min..=max).contains(&value) {
            return value;
        }
        self.fail(name, &value.to_string(), format!("must be between {min} and {max}"), default)
    }

    /// Milliseconds within `min..=max`.
    pub(super) fn bounded_millis(&mut self, name: &str, default: Duration, min: usize, max: usize) -> Duration {
        Duration::from_millis(self.bounded(name, default.as_millis() as usize, min, max) as u64)
    }

    pub(super) fn millis(&mut self, name: &str, default: Duration) -> Duration {
        Duration::from_millis(self.parse(name, default.as_millis() as u64))
    }

    /// Whole seconds, at least 1.
    pub(super) fn secs(&mut self, name: &str, default: Duration) -> Duration {
        let secs = self.parse(name, default.as_secs());
        if secs == 0 {
            return self.fail(name, "0", "must be at least 1", default);
        }
        Duration::from_secs(secs)
    }

    /// An `http://` or `https://` URL, without a trailing `/`.
    pub(super) fn url(&mut self, name: &str) -> Option<String> {
        let url = self.text(name)?;
        if url.starts_with("http://") || url.starts_with("https://") {
            return Some(url.trim_end_matches('/').to_string());
        }
        self.fail(name, &url, "must start with http:// or https://", None)
    }

    /// The path of a file that exists.
    pub(super) fn file(&mut self, name: &str) -> Option<PathBuf> {
        let path = PathBuf::from(self.text(name)?);
        if path.is_file() {
            return Some(path);
        }
        self.fail(name, &path.display().to_string(), "file does not exist", None)
    }

    /// `sku=n,sku=n` pairs.
    pub(super) fn inventory(&mut self, name: &str) -> Vec<(String, u64)> {
        let Some(text) = self.text(name) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match pair.split_once('=').map(|(s, n)| (s.trim(), n.trim().parse::<u64>())) {
                Some((sku, Ok(n))) if !sku.is_empty() => out.push((sku.to_string(), n)),
                _ => return self.fail(name, pair, "expected sku=count pairs", Vec::new()),
            }
        }
        out
    }
}
