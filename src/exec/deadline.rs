//! A time budget for evaluating one page, checked cheaply inside scan loops.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// Rows tested between two reads of the clock. A row test takes tens of nanoseconds, so
/// the clock is read about every 100 µs and a page stops soon after its deadline.
const ROWS_PER_CHECK: u32 = 4096;

/// The instant after which the executor stops evaluating a page.
///
/// Scan loops call [`Deadline::tick`] once per row, which reads the clock only every
/// 4096 rows. Once the deadline has passed, the loops stop early and return partial
/// results, which the caller discards after seeing [`Deadline::expired`].
#[derive(Debug)]
pub struct Deadline {
    at: Option<Instant>,
    rows: Cell<u32>,
    expired: Cell<bool>,
}

impl Deadline {
    /// Returns a deadline that never passes.
    pub fn never() -> Deadline {
        Deadline {
            at: None,
            rows: Cell::new(0),
            expired: Cell::new(false),
        }
    }

    /// Returns a deadline `budget` from now. A budget too large for the clock never passes.
    pub fn after(budget: Duration) -> Deadline {
        Deadline {
            at: Instant::now().checked_add(budget),
            ..Deadline::never()
        }
    }

    /// Counts one tested row and returns true when the deadline has passed.
    pub(crate) fn tick(&self) -> bool {
        if self.expired.get() {
            return true;
        }
        let Some(at) = self.at else {
            return false;
        };
        let rows = self.rows.get() + 1;
        if rows < ROWS_PER_CHECK {
            self.rows.set(rows);
            return false;
        }
        self.rows.set(0);
        let expired = Instant::now() >= at;
        self.expired.set(expired);
        expired
    }

    /// Returns true when a scan has seen the deadline pass, so its results are partial.
    pub fn expired(&self) -> bool {
        self.expired.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_does_not_expire() {
        let deadline = Deadline::never();
        assert!(!(0..3 * ROWS_PER_CHECK).any(|_| deadline.tick()));
        assert!(!deadline.expired());
    }

    #[test]
    fn past_deadline_expires_at_next_check() {
        let deadline = Deadline::after(Duration::ZERO);
        let ticks = (1..=ROWS_PER_CHECK).find(|_| deadline.tick());
        assert_eq!(ticks, Some(ROWS_PER_CHECK));
        assert!(deadline.expired());
        assert!(deadline.tick(), "an expired deadline stays expired");
    }

    #[test]
    fn distant_deadline_does_not_expire() {
        let deadline = Deadline::after(Duration::from_secs(3600));
        assert!(!(0..3 * ROWS_PER_CHECK).any(|_| deadline.tick()));
        let huge = Deadline::after(Duration::MAX);
        assert!(!(0..3 * ROWS_PER_CHECK).any(|_| huge.tick()));
    }
}
