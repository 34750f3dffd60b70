//! Batch REST api-versions: parsing, ordering and the features each version has.
//!
//! An api-version is written `YYYY-MM-DD.major.minor`. The service publishes a fixed list of
//! them, and a request that names any other value is rejected, so [`ApiVersion`] is a closed
//! enum rather than a parsed triple.

use std::fmt;
use std::str::FromStr;

/// A published Batch REST api-version, ordered from oldest to newest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApiVersion {
    /// `2014-10-01.1.0`, the first public version.
    V2014_10_01_1_0,
    /// `2015-03-01.1.1`.
    V2015_03_01_1_1,
    /// `2015-06-01.2.0`.
    V2015_06_01_2_0,
    /// `2015-11-01.2.1`: adds multi-instance tasks and the task root directory.
    V2015_11_01_2_1,
    /// `2015-12-01.2.2`: adds task dependencies.
    V2015_12_01_2_2,
    /// `2016-02-01.3.0`: adds `resourceFiles[]/fileMode`.
    V2016_02_01_3_0,
    /// `2016-07-01.3.1`: adds `exitConditions` and application packages on tasks.
    V2016_07_01_3_1,
    /// `2017-01-01.4.0`: replaces `runElevated` with `userIdentity`.
    V2017_01_01_4_0,
    /// `2017-05-01.5.0`: renames `schedulingError` to `failureInfo`, adds `executionInfo/result`.
    V2017_05_01_5_0,
    /// `2017-06-01.5.1`: adds Get Task Counts.
    V2017_06_01_5_1,
    /// `2017-09-01.6.0`: adds container settings.
    V2017_09_01_6_0,
    /// `2018-03-01.6.1`.
    V2018_03_01_6_1,
    /// `2018-08-01.7.0`: `executionInfo/result` becomes filterable, task counts lose
    /// `validationStatus`.
    V2018_08_01_7_0,
    /// `2018-12-01.8.0`: reshapes resource files.
    V2018_12_01_8_0,
}

/// The reason an api-version string was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionError {
    /// The value does not have the shape `YYYY-MM-DD.major.minor`.
    Malformed,
    /// The value is well formed but names no published version. The fields are the
    /// published versions just before and just after it, where they exist.
    Unknown {
        /// The newest published version older than the requested one.
        before: Option<ApiVersion>,
        /// The oldest published version newer than the requested one.
        after: Option<ApiVersion>,
    },
}

impl ApiVersion {
    /// Every published version, oldest first.
    pub const ALL: [ApiVersion; 14] = [
        ApiVersion::V2014_10_01_1_0,
        ApiVersion::V2015_03_01_1_1,
        ApiVersion::V2015_06_01_2_0,
        ApiVersion::V2015_11_01_2_1,
        ApiVersion::V2015_12_01_2_2,
        ApiVersion::V2016_02_01_3_0,
        ApiVersion::V2016_07_01_3_1,
        ApiVersion::V2017_01_01_4_0,
        ApiVersion::V2017_05_01_5_0,
        ApiVersion::V2017_06_01_5_1,
        ApiVersion::V2017_09_01_6_0,
        ApiVersion::V2018_03_01_6_1,
        ApiVersion::V2018_08_01_7_0,
        ApiVersion::V2018_12_01_8_0,
    ];

    /// The newest published version.
    pub const LATEST: ApiVersion = ApiVersion::V2018_12_01_8_0;

    /// Returns the version as written on the wire, such as `2018-12-01.8.0`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V2014_10_01_1_0 => "2014-10-01.1.0",
            ApiVersion::V2015_03_01_1_1 => "2015-03-01.1.1",
            ApiVersion::V2015_06_01_2_0 => "2015-06-01.2.0",
            ApiVersion::V2015_11_01_2_1 => "2015-11-01.2.1",
            ApiVersion::V2015_12_01_2_2 => "2015-12-01.2.2",
            ApiVersion::V2016_02_01_3_0 => "2016-02-01.3.0",
            ApiVersion::V2016_07_01_3_1 => "2016-07-01.3.1",
            ApiVersion::V2017_01_01_4_0 => "2017-01-01.4.0",
            ApiVersion::V2017_05_01_5_0 => "2017-05-01.5.0",
            ApiVersion::V2017_06_01_5_1 => "2017-06-01.5.1",
            ApiVersion::V2017_09_01_6_0 => "2017-09-01.6.0",
            ApiVersion::V2018_03_01_6_1 => "2018-03-01.6.1",
            ApiVersion::V2018_08_01_7_0 => "2018-08-01.7.0",
            ApiVersion::V2018_12_01_8_0 => "2018-12-01.8.0",
        }
    }

    /// Parses a version string, rejecting malformed and unpublished values.
    ///
    /// ```
    /// use batch_odata::version::{ApiVersion, VersionError};
    ///
    /// assert_eq!(ApiVersion::parse("2018-12-01.8.0"), Ok(ApiVersion::LATEST));
    /// assert_eq!(ApiVersion::parse("2018-12-01"), Err(VersionError::Malformed));
    /// assert_eq!(
    ///     ApiVersion::parse("2018-10-01.7.5"),
    ///     Err(VersionError::Unknown {
    ///         before: Some(ApiVersion::V2018_08_01_7_0),
    ///         after: Some(ApiVersion::V2018_12_01_8_0),
    ///     })
    /// );
    /// ```
    pub fn parse(text: &str) -> Result<ApiVersion, VersionError> {
        let key = parse_key(text).ok_or(VersionError::Malformed)?;
        if let Some(version) = ApiVersion::ALL.iter().find(|v| v.key() == key) {
            return Ok(*version);
        }
        let before = ApiVersion::ALL
            .iter()
            .rev()
            .find(|v| v.key() < key)
            .copied();
        let after = ApiVersion::ALL.iter().find(|v| v.key() > key).copied();
        Err(VersionError::Unknown { before, after })
    }

    /// Returns the sort key `(year, month, day, major, minor)`.
    fn key(self) -> VersionKey {
        parse_key(self.as_str()).expect("every published version string is well formed")
    }

    /// Returns true when this version has the Get Task Counts operation.
    pub fn has_task_counts(self) -> bool {
        self >= ApiVersion::V2017_06_01_5_1
    }

    /// Returns true when the Get Task Counts body has `validationStatus`, which existed from
    /// 2017-06-01.5.1 until 2018-08-01.7.0 removed it.
    pub fn has_task_counts_validation_status(self) -> bool {
        (ApiVersion::V2017_06_01_5_1..=ApiVersion::V2018_03_01_6_1).contains(&self)
    }
}

type VersionKey = (u16, u8, u8, u32, u32);

/// Parses `YYYY-MM-DD.major.minor` into a sort key, or returns `None` when malformed.
fn parse_key(text: &str) -> Option<VersionKey> {
    let (date, numbers) = text.split_once('.')?;
    let (major, minor) = numbers.split_once('.')?;
    let date = date.as_bytes();
    let well_formed_date = date.len() == 10
        && date[4] == b'-'
        && date[7] == b'-'
        && [0..4, 5..7, 8..10]
            .into_iter()
            .all(|r| date[r].iter().all(u8::is_ascii_digit));
    if !well_formed_date || !is_number(major) || !is_number(minor) {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> u16 {
        date[r].iter().fold(0, |n, d| n * 10 + u16::from(d - b'0'))
    };
    let (month, day) = (digits(5..7), digits(8..10));
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    Some((
        digits(0..4),
        month as u8,
        day as u8,
        major.parse().ok()?,
        minor.parse().ok()?,
    ))
}

/// Returns true for a run of at most nine ASCII digits without a leading zero, or `0`.
/// The service matches version strings exactly, so `08` is not `8`.
fn is_number(text: &str) -> bool {
    (1..=9).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'))
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ApiVersion {
    type Err = VersionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ApiVersion::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trips_every_version() {
        for version in ApiVersion::ALL {
            assert_eq!(ApiVersion::parse(version.as_str()), Ok(version));
        }
    }

    #[test]
    fn all_is_sorted_by_wire_order() {
        for pair in ApiVersion::ALL.windows(2) {
            assert!(pair[0] < pair[1]);
            assert!(pair[0].key() < pair[1].key());
        }
    }

    #[test]
    fn parse_rejects_malformed_values() {
        for text in [
            "",
            "2018-12-01",
            "2018-12-01.8",
            "2018-12-01.8.0.1",
            "18-12-01.8.0",
            "2018-13-01.8.0",
            "2018-12-00.8.0",
            "2018-12-01.a.0",
            "2018/12/01.8.0",
            " 2018-12-01.8.0",
            "2018-12-01.8.",
            "2018-12-01.+8.0",
            "2018-12-01.1234567890.0",
            "2018-12-01.08.0",
            "2018-12-01.8.00",
        ] {
            assert_eq!(
                ApiVersion::parse(text),
                Err(VersionError::Malformed),
                "{text:?}"
            );
        }
    }

    #[test]
    fn parse_names_neighbours_of_unknown_versions() {
        assert_eq!(
            ApiVersion::parse("2013-01-01.1.0"),
            Err(VersionError::Unknown {
                before: None,
                after: Some(ApiVersion::V2014_10_01_1_0)
            })
        );
        assert_eq!(
            ApiVersion::parse("2019-06-01.9.0"),
            Err(VersionError::Unknown {
                before: Some(ApiVersion::LATEST),
                after: None
            })
        );
        assert_eq!(
            ApiVersion::parse("2018-12-01.8.1"),
            Err(VersionError::Unknown {
                before: Some(ApiVersion::LATEST),
                after: None
            })
        );
    }

    #[test]
    fn task_counts_features_follow_versions() {
        assert!(!ApiVersion::V2017_05_01_5_0.has_task_counts());
        assert!(ApiVersion::V2017_06_01_5_1.has_task_counts());
        assert!(ApiVersion::V2017_06_01_5_1.has_task_counts_validation_status());
        assert!(ApiVersion::V2018_03_01_6_1.has_task_counts_validation_status());
        assert!(!ApiVersion::V2018_08_01_7_0.has_task_counts_validation_status());
    }
}
