//! The CloudJob model and the documented List Jobs `$filter` table.
//!
//! The property paths are those of `CloudJob` in the Python `azure-batch` 6.0.0 package
//! (api-version 2018-12-01.8.0) and the models it reaches that a filter can address. The
//! filter table is the List Jobs table of the Batch documentation page "Create queries to
//! list Batch resources efficiently" (odata-filters-in-batch, 2018).
//!
//! NOTE: the job model's changes between api-versions are not recorded here, so every
//! property and filter rule applies to every api-version.

use super::{PropertyDef, PropertyType, StrictRule};

/// Every api-version.
const ALL_VERSIONS: u16 = 0x3fff;

/// The values of `JobState`, in lower case.
const STATES: [&str; 7] = [
    "active",
    "disabling",
    "disabled",
    "enabling",
    "terminating",
    "completed",
    "deleting",
];

/// Comparisons of ordered values.
const COMPARISONS: &[&str] = &["eq", "ne", "ge", "gt", "le", "lt"];

/// Comparisons and `startswith`, for ids.
const COMPARISONS_AND_PREFIX: &[&str] = &["startswith", "eq", "ne", "ge", "gt", "le", "lt"];

/// Every CloudJob property path, sorted by path.
pub static JOB_PROPERTIES: &[PropertyDef] = &[
    property(0, "commonEnvironmentSettings", PropertyType::Array),
    property(1, "commonEnvironmentSettings[]/name", PropertyType::String),
    property(2, "commonEnvironmentSettings[]/value", PropertyType::String),
    property(3, "constraints", PropertyType::Object),
    property(4, "constraints/maxTaskRetryCount", PropertyType::Int32),
    property(5, "constraints/maxWallClockTime", PropertyType::Duration),
    property(6, "creationTime", PropertyType::DateTime),
    property(7, "displayName", PropertyType::String),
    property(8, "eTag", PropertyType::String),
    property(9, "executionInfo", PropertyType::Object),
    property(10, "executionInfo/endTime", PropertyType::DateTime),
    property(11, "executionInfo/poolId", PropertyType::String),
    property(12, "executionInfo/schedulingError", PropertyType::Object),
    property(
        13,
        "executionInfo/schedulingError/category",
        PropertyType::Enum(&["usererror", "servererror"]),
    ),
    property(
        14,
        "executionInfo/schedulingError/code",
        PropertyType::String,
    ),
    property(
        15,
        "executionInfo/schedulingError/details",
        PropertyType::Array,
    ),
    property(
        16,
        "executionInfo/schedulingError/details[]/name",
        PropertyType::String,
    ),
    property(
        17,
        "executionInfo/schedulingError/details[]/value",
        PropertyType::String,
    ),
    property(
        18,
        "executionInfo/schedulingError/message",
        PropertyType::String,
    ),
    property(19, "executionInfo/startTime", PropertyType::DateTime),
    property(20, "executionInfo/terminateReason", PropertyType::String),
    property(21, "id", PropertyType::String),
    property(22, "jobManagerTask", PropertyType::Object),
    property(23, "jobPreparationTask", PropertyType::Object),
    property(24, "jobReleaseTask", PropertyType::Object),
    property(25, "lastModified", PropertyType::DateTime),
    property(26, "metadata", PropertyType::Array),
    property(27, "metadata[]/name", PropertyType::String),
    property(28, "metadata[]/value", PropertyType::String),
    property(
        29,
        "onAllTasksComplete",
        PropertyType::Enum(&["noaction", "terminatejob"]),
    ),
    property(
        30,
        "onTaskFailure",
        PropertyType::Enum(&["noaction", "performexitoptionsjobaction"]),
    ),
    property(31, "poolInfo", PropertyType::Object),
    property(32, "poolInfo/autoPoolSpecification", PropertyType::Object),
    property(33, "poolInfo/poolId", PropertyType::String),
    property(34, "previousState", PropertyType::Enum(&STATES)),
    property(35, "previousStateTransitionTime", PropertyType::DateTime),
    property(36, "priority", PropertyType::Int32),
    property(37, "state", PropertyType::Enum(&STATES)),
    property(38, "stateTransitionTime", PropertyType::DateTime),
    property(39, "stats", PropertyType::Object),
    property(40, "url", PropertyType::String),
    property(41, "usesTaskDependencies", PropertyType::Boolean),
];

/// The documented List Jobs `$filter` table.
pub static STRICT_LIST_JOBS: &[StrictRule] = &[
    rule("id", COMPARISONS_AND_PREFIX),
    rule("state", &["eq", "ne"]),
    rule("stateTransitionTime", COMPARISONS),
    rule("creationTime", COMPARISONS),
    rule("lastModified", COMPARISONS),
    rule("executionInfo/startTime", COMPARISONS),
    rule("executionInfo/endTime", COMPARISONS),
    rule("executionInfo/poolId", COMPARISONS_AND_PREFIX),
];

const fn property(id: u16, path: &'static str, ty: PropertyType) -> PropertyDef {
    PropertyDef {
        id,
        path,
        ty,
        versions: ALL_VERSIONS,
    }
}

const fn rule(path: &'static str, operators: &'static [&'static str]) -> StrictRule {
    StrictRule {
        path,
        documented_as: path,
        operators,
        versions: ALL_VERSIONS,
    }
}
