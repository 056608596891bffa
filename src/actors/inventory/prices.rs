//! `PriceBook`: the optional list price of each SKU (`price_minor` in its
//! stock record), cached per instance for [`PRICE_TTL`] so the price check
//! on `POST /orders` costs no broker round trip in the common case.
//!
//! A price set through this instance is seen at once; one set through
//! another replica within [`PRICE_TTL`]. Reads that fail transiently are
//! errors (the caller answers 503), never a silent "no price"; a record
//! that cannot be decoded has no price to check (the saga rejects it).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::InventoryError;
use super::store::StockStore;
use crate::domain::OrderItem;

/// How long a cached price is trusted.
pub(super) const PRICE_TTL: Duration = Duration::from_secs(1);
/// Past this many cached SKUs, expired entries are dropped.
const PRUNE_ABOVE: usize = 10_000;

/// An item whose unit price differs from its SKU's list price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceMismatch {
    pub index: usize,
    pub sku: String,
    pub list_price_minor: i64,
    pub unit_price_minor: i64,
}

/// SKU → (list price, when it was read).
type Prices = HashMap<String, (Option<i64>, Instant)>;

#[derive(Debug, Clone, Default)]
pub(super) struct PriceBook {
    cache: Rc<RefCell<Prices>>,
}

impl PriceBook {
    /// Remembers `price` as `sku`'s current list price.
    pub(super) fn remember(&self, sku: &str, price: Option<i64>) {
        let mut cache = self.cache.borrow_mut();
        if cache.len() > PRUNE_ABOVE {
            cache.retain(|_, (_, at)| at.elapsed() < PRICE_TTL);
        }
        cache.insert(sku.to_string(), (price, Instant::now()));
    }

    fn fresh(&self, sku: &str) -> Option<Option<i64>> {
        let cache = self.cache.borrow();
        cache.get(sku).filter(|(_, at)| at.elapsed() < PRICE_TTL).map(|(price, _)| *price)
    }

    async fn price(&self, store: &StockStore, sku: &str) -> Result<Option<i64>, InventoryError> {
        if let Some(price) = self.fresh(sku) {
            return Ok(price);
        }
        let price = match store.read(sku).await {
            Ok(record) => record.and_then(|v| v.value.price_minor),
            // An unreadable record is the saga's to reject; intake has no
            // price to hold the order to.
            Err(e) if !e.is_transient() => {
                tracing::warn!(sku, error = %e, "stock record unreadable; price not checked");
                None
            }
            Err(e) => return Err(e),
        };
        self.remember(sku, price);
        Ok(price)
    }

    /// The first item whose unit price differs from a set list price.
    pub(super) async fn check(
        &self,
        store: &StockStore,
        items: &[OrderItem],
    ) -> Result<Option<PriceMismatch>, InventoryError> {
        for (index, item) in items.iter().enumerate() {
            let Some(list) = self.price(store, &item.sku).await? else { continue };
            if list != item.unit_price_minor {
                let (sku, unit_price_minor) = (item.sku.clone(), item.unit_price_minor);
                return Ok(Some(PriceMismatch { index, sku, list_price_minor: list, unit_price_minor }));
            }
        }
        Ok(None)
    }
}
