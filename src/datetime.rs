//! Date-time and duration values with 100-nanosecond precision.

use std::fmt;

/// An instant with 100-nanosecond precision and the UTC offset it was written with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DateTime {
    ticks: i64,
    offset_minutes: i16,
}

impl DateTime {
    /// Creates a UTC date-time from ticks (100 ns units) since 0001-01-01T00:00:00Z.
    pub const fn from_ticks(ticks: i64) -> DateTime {
        DateTime {
            ticks,
            offset_minutes: 0,
        }
    }

    /// Returns the ticks (100 ns units) since 0001-01-01T00:00:00Z.
    pub const fn ticks(self) -> i64 {
        self.ticks
    }

    /// Returns the UTC offset the value was written with, in minutes.
    pub const fn offset_minutes(self) -> i16 {
        self.offset_minutes
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.ticks)
    }
}
