//! Property resolution: existence in the api-version, documented filterability and the
//! operators a property allows.

use super::{Binder, Mode};
use crate::error::ErrorKind;
use crate::schema::{self, PropertyDef, Schema};
use crate::span::Span;
use crate::version::ApiVersion;

/// CloudTask properties renamed or replaced by a later api-version, with their successors.
const REPLACEMENTS: &[(&str, &str)] = &[
    ("runElevated", "userIdentity/autoUser/elevationLevel"),
    ("executionInfo/schedulingError", "executionInfo/failureInfo"),
    (
        "exitConditions/schedulingError",
        "exitConditions/preProcessingError",
    ),
];

impl Binder<'_> {
    /// Resolves a property path for use with `operator`: a comparison keyword or function
    /// name with its span, or `None` for a bare boolean property.
    pub(super) fn property(
        &self,
        path: &str,
        span: Span,
        operator: Option<(&str, Span)>,
    ) -> Result<&'static PropertyDef, crate::error::Error> {
        // The List Tasks documentation names `lastModifiedTime`; the JSON property is
        // `lastModified`. Both spellings are accepted.
        let path = self.schema.documented_path(path);

        let Some(property) = self.schema.lookup(path) else {
            let candidates = self
                .schema
                .properties
                .iter()
                .filter(|p| p.ty.is_scalar() && !p.is_in_collection() && p.exists_in(self.version))
                .map(|p| p.path);
            let suggestion = schema::suggest(path, candidates).map(str::to_owned);
            return Err(self.error(ErrorKind::PropertyUnknown { suggestion }, span));
        };
        self.check_version(property, span)?;
        if !property.ty.is_scalar() || property.is_in_collection() {
            return Err(self.error(ErrorKind::PropertyNotScalar, span));
        }
        if self.mode == Mode::Strict {
            self.check_documented(property, span, operator)?;
        }
        Ok(property)
    }

    fn check_version(&self, property: &PropertyDef, span: Span) -> Result<(), crate::error::Error> {
        if property.exists_in(self.version) {
            return Ok(());
        }
        let kind = if self.version < property.first_version() {
            ErrorKind::PropertyNotYetAdded {
                since: property.first_version(),
            }
        } else {
            let replacement = successor(self.schema, property.path);
            ErrorKind::PropertyRemoved {
                until: property.last_version(),
                replacement,
            }
        };
        Err(self.error(kind, span))
    }

    fn check_documented(
        &self,
        property: &PropertyDef,
        span: Span,
        operator: Option<(&str, Span)>,
    ) -> Result<(), crate::error::Error> {
        let Some(rule) = self.schema.strict_rule(property.path, self.version) else {
            let kind = match self.schema.strict_since(property.path) {
                Some(since) if since > self.version => ErrorKind::PropertyNotFilterable { since },
                _ => ErrorKind::PropertyNotDocumented {
                    documented: self
                        .schema
                        .strict_rules(self.version)
                        .map(|r| r.documented_as)
                        .collect(),
                },
            };
            return Err(self.error(kind, span));
        };
        match operator {
            Some((operator, operator_span)) if !rule.operators.contains(&operator) => Err(self
                .error(
                    ErrorKind::OperatorNotAllowed {
                        operator: operator.to_owned(),
                        allowed: rule.operators.to_vec(),
                    },
                    operator_span,
                )),
            _ => Ok(()),
        }
    }
}

/// Returns the successor of a replaced property, or of one nested under a renamed object,
/// such as `executionInfo/failureInfo/category` for `executionInfo/schedulingError/category`.
fn successor(schema: &Schema, path: &str) -> Option<&'static str> {
    let (old, new) = REPLACEMENTS.iter().find(|(old, _)| path.starts_with(old))?;
    let rest = &path[old.len()..];
    schema
        .properties
        .iter()
        .find(|p| p.path.strip_prefix(new) == Some(rest) && p.exists_in(ApiVersion::LATEST))
        .map(|p| p.path)
}
