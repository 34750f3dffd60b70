//! The CloudTask and CloudJob schemas per api-version: which property paths exist, their
//! types, and which of them the List Tasks and List Jobs documentation allows in `$filter`.
//!
//! The task tables live in `generated.rs`, generated from the schema data in
//! `fixtures/reference/`. The four oldest api-versions have no machine-readable model; they
//! are taken as 2015-12-01.2.2 without what the versioning page says later versions added.
//! The job tables live in `job.rs`. The free functions of this module read the task schema.

#[rustfmt::skip]
mod generated;
mod job;

pub use generated::{PROPERTIES, STRICT_LIST_TASKS};
pub use job::{JOB_PROPERTIES, STRICT_LIST_JOBS};

use crate::version::ApiVersion;

/// The type of a property's value on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropertyType {
    /// A JSON string.
    String,
    /// A 32-bit integer.
    Int32,
    /// A 64-bit integer.
    Int64,
    /// A double-precision number.
    Double,
    /// `true` or `false`.
    Boolean,
    /// An ISO 8601 date-time string.
    DateTime,
    /// An ISO 8601 duration string such as `PT1H`.
    Duration,
    /// A string from a fixed set of values, listed in lower case. Values match ignoring case.
    Enum(&'static [&'static str]),
    /// A JSON object.
    Object,
    /// A JSON array.
    Array,
}

impl PropertyType {
    /// Returns true for types with a single value that a filter can compare.
    pub fn is_scalar(self) -> bool {
        !matches!(self, PropertyType::Object | PropertyType::Array)
    }

    /// Returns the name used in error messages, as the Batch documentation writes it.
    pub fn name(self) -> &'static str {
        match self {
            PropertyType::String => "String",
            PropertyType::Int32 => "Int32",
            PropertyType::Int64 => "Int64",
            PropertyType::Double => "Double",
            PropertyType::Boolean => "Boolean",
            PropertyType::DateTime => "DateTime",
            PropertyType::Duration => "Duration",
            PropertyType::Enum(_) => "enum String",
            PropertyType::Object => "object",
            PropertyType::Array => "collection",
        }
    }
}

/// One property path of the CloudTask model, in the union of all api-versions.
#[derive(Debug)]
pub struct PropertyDef {
    /// The index of this property in [`PROPERTIES`].
    pub id: u16,
    /// The wire path, with `/` between nested names and `[]` for array elements.
    pub path: &'static str,
    /// The value type.
    pub ty: PropertyType,
    /// Bit `i` is set when `ApiVersion::ALL[i]` has the property.
    pub versions: u16,
}

impl PartialEq for PropertyDef {
    /// Two definitions are equal when they are the same entry of one schema's table. The
    /// path distinguishes entries of the task and job tables that share an `id`.
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.path == other.path
    }
}

impl PropertyDef {
    /// Returns true when the api-version has this property.
    pub fn exists_in(&self, version: ApiVersion) -> bool {
        self.versions & version_bit(version) != 0
    }

    /// Returns the oldest api-version that has the property.
    pub fn first_version(&self) -> ApiVersion {
        ApiVersion::ALL[self.versions.trailing_zeros() as usize]
    }

    /// Returns the newest api-version that has the property.
    pub fn last_version(&self) -> ApiVersion {
        ApiVersion::ALL[15 - self.versions.leading_zeros() as usize]
    }

    /// Returns true when the path lies inside an array element, such as
    /// `exitConditions/exitCodes[]/code`.
    pub fn is_in_collection(&self) -> bool {
        self.path.contains("[]")
    }

    /// Returns the enum values when the property is an enum.
    pub fn enum_values(&self) -> Option<&'static [&'static str]> {
        match self.ty {
            PropertyType::Enum(values) => Some(values),
            _ => None,
        }
    }
}

/// A row of the documented List Tasks `$filter` table.
#[derive(Debug)]
pub struct StrictRule {
    /// The property path as it appears in task JSON.
    pub path: &'static str,
    /// The name the documentation uses, which differs for `lastModifiedTime`.
    pub documented_as: &'static str,
    /// The operators and functions allowed, such as `eq` and `startswith`.
    pub operators: &'static [&'static str],
    /// Bit `i` is set when the rule applies to `ApiVersion::ALL[i]`.
    pub versions: u16,
}

/// A resource model that filters and `$select` are checked against: its property paths and
/// the documented `$filter` table of its list operation.
#[derive(Debug)]
pub struct Schema {
    /// The model's name in the Batch REST API, such as `CloudTask`.
    pub name: &'static str,
    /// Every property path of every api-version, sorted by path; each entry's `id` is its
    /// index.
    pub properties: &'static [PropertyDef],
    /// The documented `$filter` table of the list operation, such as List Tasks.
    pub strict: &'static [StrictRule],
}

impl PartialEq for Schema {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Schema {}

/// CloudTask, with the List Tasks `$filter` table.
pub static TASK: Schema = Schema {
    name: "CloudTask",
    properties: PROPERTIES,
    strict: STRICT_LIST_TASKS,
};

/// CloudJob, with the List Jobs `$filter` table.
pub static JOB: Schema = Schema {
    name: "CloudJob",
    properties: JOB_PROPERTIES,
    strict: STRICT_LIST_JOBS,
};

impl Schema {
    /// Returns the property with this exact (case-sensitive) path, in any api-version.
    pub fn lookup(&self, path: &str) -> Option<&'static PropertyDef> {
        let properties = self.properties;
        properties
            .binary_search_by(|p| p.path.cmp(path))
            .ok()
            .map(|index| &properties[index])
    }

    /// Returns the path that a name of the documented filter table stands for, such as
    /// `lastModified` for `lastModifiedTime` in List Tasks; any other name is returned as
    /// it is.
    pub fn documented_path<'a>(&self, name: &'a str) -> &'a str {
        match self.strict.iter().find(|rule| rule.documented_as == name) {
            Some(rule) => rule.path,
            None => name,
        }
    }

    /// Returns the documented filter rule for a property in an api-version.
    pub fn strict_rule(&self, path: &str, version: ApiVersion) -> Option<&'static StrictRule> {
        self.strict
            .iter()
            .find(|rule| rule.path == path && rule.versions & version_bit(version) != 0)
    }

    /// Returns the documented filter rules of an api-version.
    pub fn strict_rules(
        &self,
        version: ApiVersion,
    ) -> impl Iterator<Item = &'static StrictRule> + use<> {
        self.strict
            .iter()
            .filter(move |rule| rule.versions & version_bit(version) != 0)
    }

    /// Returns the first api-version whose documented filter table has the property, if
    /// any.
    pub fn strict_since(&self, path: &str) -> Option<ApiVersion> {
        let versions = self
            .strict
            .iter()
            .filter(|rule| rule.path == path)
            .fold(0u16, |mask, rule| mask | rule.versions);
        (versions != 0).then(|| ApiVersion::ALL[versions.trailing_zeros() as usize])
    }

    /// Returns the top-level property names of an api-version, the names `$select`
    /// accepts.
    pub fn top_level_names(
        &self,
        version: ApiVersion,
    ) -> impl Iterator<Item = &'static str> + use<> {
        self.properties
            .iter()
            .filter(move |p| !p.path.contains('/') && p.exists_in(version))
            .map(|p| p.path)
    }
}

/// Returns the bit of `version` in a version mask.
pub fn version_bit(version: ApiVersion) -> u16 {
    1 << version as usize
}

/// Returns the property with this exact (case-sensitive) path, in any api-version.
pub fn lookup(path: &str) -> Option<&'static PropertyDef> {
    TASK.lookup(path)
}

/// Returns the documented List Tasks filter rule for a property in an api-version.
pub fn strict_rule(path: &str, version: ApiVersion) -> Option<&'static StrictRule> {
    TASK.strict_rule(path, version)
}

/// Returns the documented List Tasks filter rules of an api-version.
pub fn strict_rules(version: ApiVersion) -> impl Iterator<Item = &'static StrictRule> {
    TASK.strict_rules(version)
}

/// Returns the first api-version whose documented filter table has the property, if any.
pub fn strict_since(path: &str) -> Option<ApiVersion> {
    TASK.strict_since(path)
}

/// Returns the top-level property names of an api-version, the names `$select` accepts.
pub fn top_level_names(version: ApiVersion) -> impl Iterator<Item = &'static str> {
    TASK.top_level_names(version)
}

/// Returns the candidate closest to `name` by edit distance, ignoring case, if it is close
/// enough to be a likely typo: at most a third of the name's length, and at least one edit.
pub fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let folded = name.to_lowercase();
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .map(|candidate| (edit_distance(&folded, &candidate.to_lowercase()), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, candidate)| (*distance, *candidate))
        .map(|(_, candidate)| candidate)
}

/// Returns the Levenshtein distance between two strings, counted in chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_are_sorted_and_numbered() {
        for schema in [&TASK, &JOB] {
            for (index, property) in schema.properties.iter().enumerate() {
                assert_eq!(property.id as usize, index, "{}", schema.name);
            }
            for pair in schema.properties.windows(2) {
                assert!(
                    pair[0].path < pair[1].path,
                    "{}: {} {}",
                    schema.name,
                    pair[0].path,
                    pair[1].path
                );
            }
        }
    }

    #[test]
    fn job_rules_name_scalar_job_properties() {
        for rule in STRICT_LIST_JOBS {
            let property = JOB.lookup(rule.path).expect(rule.path);
            assert!(property.ty.is_scalar(), "{}", rule.path);
            assert!(!property.is_in_collection(), "{}", rule.path);
        }
        assert_eq!(JOB.documented_path("lastModifiedTime"), "lastModifiedTime");
        assert_eq!(TASK.documented_path("lastModifiedTime"), "lastModified");
    }

    #[test]
    fn result_exists_from_five_zero() {
        let result = lookup("executionInfo/result").expect("executionInfo/result exists");
        assert_eq!(result.first_version(), ApiVersion::V2017_05_01_5_0);
        assert_eq!(result.last_version(), ApiVersion::LATEST);
        assert_eq!(result.enum_values(), Some(&["success", "failure"][..]));
    }

    #[test]
    fn result_is_filterable_from_seven_zero() {
        assert!(strict_rule("executionInfo/result", ApiVersion::V2018_03_01_6_1).is_none());
        assert!(strict_rule("executionInfo/result", ApiVersion::V2018_08_01_7_0).is_some());
        assert_eq!(
            strict_since("executionInfo/result"),
            Some(ApiVersion::V2018_08_01_7_0)
        );
    }

    #[test]
    fn state_allows_ne_from_five_zero() {
        let old = strict_rule("state", ApiVersion::V2017_01_01_4_0).expect("state rule");
        assert_eq!(old.operators, ["eq"]);
        let new = strict_rule("state", ApiVersion::V2017_05_01_5_0).expect("state rule");
        assert_eq!(new.operators, ["eq", "ne"]);
    }

    #[test]
    fn run_elevated_ends_before_four_zero() {
        let run_elevated = lookup("runElevated").expect("runElevated exists");
        assert_eq!(run_elevated.last_version(), ApiVersion::V2016_07_01_3_1);
        let identity = lookup("userIdentity").expect("userIdentity exists");
        assert_eq!(identity.first_version(), ApiVersion::V2017_01_01_4_0);
    }

    #[test]
    fn dependencies_start_at_two_two() {
        let depends_on = lookup("dependsOn").expect("dependsOn exists");
        assert_eq!(depends_on.first_version(), ApiVersion::V2015_12_01_2_2);
        let multi = lookup("multiInstanceSettings").expect("multiInstanceSettings exists");
        assert_eq!(multi.first_version(), ApiVersion::V2015_11_01_2_1);
        assert!(
            lookup("id")
                .expect("id exists")
                .exists_in(ApiVersion::V2014_10_01_1_0)
        );
    }

    #[test]
    fn suggest_finds_close_names() {
        let names = ["state", "stateTransitionTime", "creationTime"];
        assert_eq!(suggest("stat", names.into_iter()), Some("state"));
        assert_eq!(suggest("State", names.into_iter()), Some("state"));
        assert_eq!(
            suggest("creationtme", names.into_iter()),
            Some("creationTime")
        );
        assert_eq!(suggest("zzz", names.into_iter()), None);
    }

    #[test]
    fn select_names_follow_version() {
        let old: Vec<_> = top_level_names(ApiVersion::V2016_07_01_3_1).collect();
        assert!(old.contains(&"runElevated"));
        let new: Vec<_> = top_level_names(ApiVersion::LATEST).collect();
        assert!(!new.contains(&"runElevated"));
        assert!(new.contains(&"containerSettings"));
    }
}
