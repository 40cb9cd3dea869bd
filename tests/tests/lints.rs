//! The expansion is clean under a user's strictest lint settings: `cargo clippy --all-targets
//! -- -D warnings` (CI) compiles this file with these denies, so a lint fired by generated code
//! fails the build. User code still gets its own lints: nothing here is blanket-allowed.

#![deny(
    warnings,
    clippy::pedantic,
    unused_qualifications,
    unused_lifetimes,
    single_use_lifetimes,
    trivial_casts,
    unreachable_pub,
    missing_debug_implementations
)]

use octo_instrument::observed;

/// A type whose methods are observed.
#[derive(Debug, Default)]
pub struct Store {
    items: Vec<String>,
}

impl Store {
    /// Adds an item.
    ///
    /// # Errors
    /// When the item is empty.
    #[observed(event = "lints.add", fields(item = %item), slow_ms = 100)]
    pub fn add(&mut self, item: &str) -> Result<usize, std::io::Error> {
        if item.is_empty() {
            return Err(std::io::Error::other("empty"));
        }
        self.items.push(item.to_owned());
        Ok(self.items.len())
    }

    /// Finds an item.
    #[observed(event = "lints.find", ret, buckets = http)]
    #[must_use]
    pub fn find(&self, prefix: &str) -> Option<&String> {
        self.items.iter().find(|item| item.starts_with(prefix))
    }

    /// Counts items, asynchronously.
    #[observed(
        event = "lints.count",
        histogram = "lints_count_seconds",
        labels(kind = "all")
    )]
    pub async fn count(&self) -> usize {
        tokio::task::yield_now().await;
        self.items.len()
    }
}

#[test]
fn strict_lints_build_and_run() {
    let mut store = Store::default();
    assert_eq!(store.add("a").unwrap(), 1);
    assert!(store.add("").is_err());
    assert_eq!(store.find("a").map(String::as_str), Some("a"));
    let count = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(store.count());
    assert_eq!(count, 1);
}
