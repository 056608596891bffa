//! Tuning of the process allocator (mimalloc, installed by `main.rs`).
//!
//! mimalloc returns freed pages to the OS only after `purge_delay` (1 s in
//! v3), and only when the thread owning them next allocates. After a burst
//! the order actors' threads go idle, so the pages of finished orders stayed
//! resident: 50,000 held orders left RSS at 78–94 MiB instead of ~29 MiB.
//! A delay of 100 ms returns them as well (41 MiB after that burst, the
//! same as purging at once), while purging at once made every free of a
//! page an `madvise` and every reuse a page fault: a quarter of the
//! service's CPU on one hot SKU, 20–30 % of its throughput (BENCHMARKS.md).
//! An operator's `MIMALLOC_PURGE_DELAY` wins over this default.

/// `mi_option_purge_delay` in mimalloc v3's `mi_option_e` (libmimalloc-sys
/// has no named constant for it; the test below checks the index).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long freed pages stay mapped for reuse, in milliseconds.
const PURGE_DELAY_MS: std::ffi::c_long = 100;

/// Freed memory goes back to the OS within [`PURGE_DELAY_MS`] (unless the
/// environment sets `MIMALLOC_PURGE_DELAY`).
pub fn release_freed_memory_promptly() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets a process-wide option; mimalloc synchronises it.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, PURGE_DELAY_MS) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_index_names_mimallocs_purge_delay_option() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // v3's default for purge_delay is 1000 ms; no neighbouring option has it.
        // SAFETY: reads a process-wide option.
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) }, 1000);
        release_freed_memory_promptly();
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) }, PURGE_DELAY_MS);
    }
}
