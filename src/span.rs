//! Byte spans into the text of one query parameter.

use std::fmt;
use std::ops::Range;

/// A half-open byte range `start..end` into the original text of a query parameter.
///
/// Spans are byte offsets, never line or column numbers: those are computed only when an
/// error is rendered. An empty span (`start == end`) points between two characters, such as
/// the end of the input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// Creates the span `start..end`.
    pub const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// Creates an empty span at `offset`.
    pub const fn at(offset: usize) -> Self {
        Span::new(offset, offset)
    }

    /// Returns the smallest span that covers both `self` and `other`.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// Returns the length in bytes.
    pub const fn len(self) -> usize {
        self.end - self.start
    }

    /// Returns true when the span covers no bytes.
    pub const fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// Returns the span as a range, for slicing the input.
    pub const fn range(self) -> Range<usize> {
        self.start..self.end
    }
}

impl From<Range<usize>> for Span {
    fn from(range: Range<usize>) -> Self {
        Span::new(range.start, range.end)
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}
