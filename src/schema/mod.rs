//! The CloudTask schema per api-version: which property paths exist, their types, and which
//! of them the service documents as filterable.

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
    /// A string from a fixed set of values, listed in lower case.
    Enum(&'static [&'static str]),
    /// A JSON object.
    Object,
    /// A JSON array.
    Array,
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
    /// Two definitions are equal when they are the same entry of [`PROPERTIES`].
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl PropertyDef {
    /// Returns true when the api-version has this property.
    pub fn exists_in(&self, version: ApiVersion) -> bool {
        self.versions & (1 << version_index(version)) != 0
    }
}

/// Returns the position of `version` in [`ApiVersion::ALL`].
pub fn version_index(version: ApiVersion) -> usize {
    version as usize
}

/// Every property path of every api-version.
pub static PROPERTIES: &[PropertyDef] = &[
    PropertyDef {
        id: 0,
        path: "id",
        ty: PropertyType::String,
        versions: 0x3fff,
    },
    PropertyDef {
        id: 1,
        path: "state",
        ty: PropertyType::Enum(&["active", "preparing", "running", "completed"]),
        versions: 0x3fff,
    },
];

/// Returns the property with this exact (case-sensitive) path.
pub fn lookup(path: &str) -> Option<&'static PropertyDef> {
    PROPERTIES.iter().find(|p| p.path == path)
}
