//! Binding: resolves a syntax tree against a schema (CloudTask unless [`bind_schema`] names
//! another) of one api-version and produces a typed [`Plan`].
//!
//! Two modes decide what is accepted. [`Mode::Strict`] allows exactly the documented
//! `$filter` table of the list operation in the api-version, such as List Tasks or List
//! Jobs: its properties, their operators, `startswith`,
//! `and`, `or` and prefixed `DateTime'...'` literals, like the service. [`Mode::Extended`]
//! allows every scalar property of the version's schema, `not`, `in`, `endswith`,
//! `contains`, boolean constants and bare ISO 8601 date-times.

mod literal;
mod property;

use crate::error::{Error, ErrorKind, Parameter};
use crate::plan::{Plan, Predicate, Test, Value};
use crate::schema::{self, PropertyDef, PropertyType, Schema};
use crate::span::Span;
use crate::syntax::{CompareOp, Expr, ExprKind, Function, Literal};
use crate::version::ApiVersion;

/// The set of filters the binder accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Only the documented properties, operators and forms of the list operation, like the
    /// service.
    Strict,
    /// Every scalar property of the api-version's schema and the extension forms.
    #[default]
    Extended,
}

/// Binds a parsed filter to the schema of `version`.
///
/// `input` is the filter text the tree was parsed from; errors point into it.
pub fn bind(expr: &Expr, input: &str, version: ApiVersion, mode: Mode) -> Result<Plan, Error> {
    bind_schema(expr, input, &schema::TASK, version, mode)
}

/// Binds a parsed filter to `schema` in `version`, such as [`schema::JOB`] for List Jobs.
pub fn bind_schema(
    expr: &Expr,
    input: &str,
    schema: &'static Schema,
    version: ApiVersion,
    mode: Mode,
) -> Result<Plan, Error> {
    Binder {
        input,
        schema,
        version,
        mode,
    }
    .boolean(expr)
}

struct Binder<'a> {
    input: &'a str,
    schema: &'static Schema,
    version: ApiVersion,
    mode: Mode,
}

/// One side of a comparison after resolution.
enum Operand<'e> {
    Property(&'static PropertyDef, Span),
    Literal(&'e Literal, Span),
    /// A boolean-valued expression such as `(a eq b)`, allowed in extended mode only.
    Boolean(&'e Expr),
}

impl Binder<'_> {
    fn error(&self, kind: ErrorKind, span: Span) -> Error {
        Error::new(kind, Parameter::Filter, span, self.input)
    }

    fn text(&self, span: Span) -> &str {
        self.input.get(span.range()).unwrap_or_default()
    }

    /// Binds an expression that must be boolean.
    fn boolean(&self, expr: &Expr) -> Result<Plan, Error> {
        match &expr.kind {
            ExprKind::Or(children) => Ok(Plan::Or(
                children
                    .iter()
                    .map(|c| self.boolean(c))
                    .collect::<Result<_, _>>()?,
            )),
            ExprKind::And(children) => Ok(Plan::And(
                children
                    .iter()
                    .map(|c| self.boolean(c))
                    .collect::<Result<_, _>>()?,
            )),
            ExprKind::Not(child) => {
                self.require_extended(
                    expr.span,
                    "'not' is an extension; use 'ne' or De Morgan's laws",
                )?;
                Ok(Plan::Not(Box::new(self.boolean(child)?)))
            }
            ExprKind::Compare {
                op,
                op_span,
                left,
                right,
            } => self.comparison(*op, *op_span, left, right, expr.span),
            ExprKind::In { operand, list } => self.membership(operand, list, expr.span),
            ExprKind::Call {
                function,
                name_span,
                args,
            } => self.call(*function, *name_span, args, expr.span),
            ExprKind::Property(path) => {
                let property = self.property(path, expr.span, None)?;
                if property.ty != PropertyType::Boolean {
                    return Err(self.type_mismatch("Boolean", property.ty.name(), None, expr.span));
                }
                Ok(leaf(
                    property,
                    Test::Compare(CompareOp::Eq, Value::Bool(true)),
                    expr.span,
                ))
            }
            ExprKind::Literal(Literal::Bool(value)) => {
                self.require_extended(expr.span, "a filter must compare a property")?;
                Ok(Plan::Const(*value))
            }
            ExprKind::Literal(other) => {
                Err(self.type_mismatch("Boolean", literal::type_name(other), None, expr.span))
            }
        }
    }

    fn require_extended(&self, span: Span, hint: &str) -> Result<(), Error> {
        match self.mode {
            Mode::Extended => Ok(()),
            Mode::Strict => Err(self.error(
                ErrorKind::SyntaxNotAllowed {
                    hint: hint.to_owned(),
                },
                span,
            )),
        }
    }

    fn type_mismatch(
        &self,
        expected: &str,
        found: &str,
        hint: Option<String>,
        span: Span,
    ) -> Error {
        let kind = ErrorKind::TypeMismatch {
            expected: expected.to_owned(),
            found: found.to_owned(),
            hint,
        };
        self.error(kind, span)
    }

    /// Resolves one side of a comparison.
    fn operand<'e>(&self, expr: &'e Expr, op: Option<(&str, Span)>) -> Result<Operand<'e>, Error> {
        match &expr.kind {
            ExprKind::Property(path) => Ok(Operand::Property(
                self.property(path, expr.span, op)?,
                expr.span,
            )),
            ExprKind::Literal(literal) => Ok(Operand::Literal(literal, expr.span)),
            _ => Ok(Operand::Boolean(expr)),
        }
    }

    fn comparison(
        &self,
        op: CompareOp,
        op_span: Span,
        left: &Expr,
        right: &Expr,
        span: Span,
    ) -> Result<Plan, Error> {
        // `not state eq 'active'` parses as `(not state) eq 'active'` because `not` binds
        // tighter than comparisons, so the hint shows the form that was almost certainly meant.
        if let ExprKind::Not(inner) = &left.kind
            && let ExprKind::Property(path) = &inner.kind
        {
            let property = self.property(path, inner.span, None)?;
            if property.ty != PropertyType::Boolean {
                let hint = format!(
                    "not ({} {op} {})",
                    self.text(inner.span),
                    self.text(right.span)
                );
                return Err(self.type_mismatch(
                    "Boolean",
                    property.ty.name(),
                    Some(hint),
                    left.span,
                ));
            }
        }

        let operator = Some((op.keyword(), op_span));
        match (
            self.operand(left, operator)?,
            self.operand(right, operator)?,
        ) {
            (Operand::Property(property, _), Operand::Literal(literal, literal_span)) => {
                self.compare_property(property, (op, op_span), literal, literal_span, span)
            }
            (Operand::Literal(literal, literal_span), Operand::Property(property, _)) => {
                let flipped = (op.flipped(), op_span);
                self.compare_property(property, flipped, literal, literal_span, span)
            }
            (Operand::Property(..), Operand::Property(_, second)) => Err(self.error(
                ErrorKind::TypeMismatch {
                    expected: "a literal value".to_owned(),
                    found: "a property".to_owned(),
                    hint: None,
                },
                second,
            )),
            (Operand::Literal(a, a_span), Operand::Literal(b, b_span)) => {
                self.require_extended(span, "a comparison needs a property on one side")?;
                literal::compare_constants(a, op, b)
                    .map(Plan::Const)
                    .ok_or_else(|| {
                        self.type_mismatch(
                            literal::type_name(a),
                            literal::type_name(b),
                            None,
                            a_span.to(b_span),
                        )
                    })
            }
            (Operand::Boolean(expr), other) | (other, Operand::Boolean(expr)) => {
                self.compare_boolean(expr, op, op_span, other)
            }
        }
    }

    /// Binds `(boolean expression) eq true` and the like, an extended form.
    fn compare_boolean(
        &self,
        expr: &Expr,
        op: CompareOp,
        op_span: Span,
        other: Operand<'_>,
    ) -> Result<Plan, Error> {
        self.require_extended(op_span, "compare a property, not an expression")?;
        let plan = self.boolean(expr)?;
        let value = match other {
            Operand::Literal(Literal::Bool(value), _) => *value,
            Operand::Literal(literal, span) => {
                return Err(self.type_mismatch("Boolean", literal::type_name(literal), None, span));
            }
            Operand::Property(property, span) => {
                return Err(self.type_mismatch("a literal value", property.ty.name(), None, span));
            }
            Operand::Boolean(other) => {
                return Err(self.type_mismatch(
                    "a literal value",
                    "an expression",
                    None,
                    other.span,
                ));
            }
        };
        match op {
            CompareOp::Eq if value => Ok(plan),
            CompareOp::Ne if !value => Ok(plan),
            CompareOp::Eq | CompareOp::Ne => Ok(Plan::Not(Box::new(plan))),
            _ => Err(self.error(
                ErrorKind::OperatorNotAllowed {
                    operator: op.keyword().to_owned(),
                    allowed: vec!["eq", "ne"],
                },
                op_span,
            )),
        }
    }

    fn compare_property(
        &self,
        property: &'static PropertyDef,
        (op, op_span): (CompareOp, Span),
        literal: &Literal,
        literal_span: Span,
        span: Span,
    ) -> Result<Plan, Error> {
        if let Literal::Null = literal {
            let test = match op {
                CompareOp::Eq => Test::IsNull,
                CompareOp::Ne => Test::IsNotNull,
                _ => {
                    return Err(self.type_mismatch(property.ty.name(), "null", None, literal_span));
                }
            };
            return Ok(leaf(property, test, span));
        }
        if !operator_orders(property.ty) && !matches!(op, CompareOp::Eq | CompareOp::Ne) {
            return Err(self.error(
                ErrorKind::OperatorNotAllowed {
                    operator: op.keyword().to_owned(),
                    allowed: vec!["eq", "ne", "in"],
                },
                op_span,
            ));
        }
        let value = self.value(property, literal, literal_span)?;
        Ok(leaf(property, Test::Compare(op, value), span))
    }

    /// Converts a literal to the property's type.
    fn value(&self, property: &PropertyDef, literal: &Literal, span: Span) -> Result<Value, Error> {
        if let (
            Literal::DateTime {
                prefixed: false, ..
            },
            Mode::Strict,
        ) = (literal, self.mode)
        {
            let hint = format!("write DateTime'{}'", self.text(span));
            return Err(self.error(ErrorKind::SyntaxNotAllowed { hint }, span));
        }
        literal::convert(property, literal)
            .map_err(|mismatch| match mismatch.invalid {
                Some(reason) => self.error(ErrorKind::DurationInvalid { reason }, span),
                None => self.type_mismatch(property.ty.name(), mismatch.found, mismatch.hint, span),
            })
            .and_then(|value| match (value, property.enum_values()) {
                (Value::Str(text), Some(valid)) if !valid.contains(&text.as_str()) => Err(self
                    .error(
                        ErrorKind::EnumValueUnknown {
                            valid: valid.to_vec(),
                        },
                        span,
                    )),
                (value, _) => Ok(value),
            })
    }

    fn membership(&self, operand: &Expr, list: &[Expr], span: Span) -> Result<Plan, Error> {
        self.require_extended(span, "'in' is an extension; use 'or' of 'eq' comparisons")?;
        let property = match self.operand(operand, Some(("in", span)))? {
            Operand::Property(property, _) => property,
            _ => {
                return Err(self.type_mismatch("a property", "an expression", None, operand.span));
            }
        };
        let mut values = Vec::with_capacity(list.len());
        let mut matches_null = false;
        for item in list {
            match &item.kind {
                ExprKind::Literal(Literal::Null) => matches_null = true,
                ExprKind::Literal(literal) => {
                    values.push(self.value(property, literal, item.span)?)
                }
                _ => {
                    return Err(self.type_mismatch(
                        "a literal value",
                        "an expression",
                        None,
                        item.span,
                    ));
                }
            }
        }
        // An empty list matches nothing; `in (null)` leaves only the null test.
        let test = if values.is_empty() {
            Plan::Const(false)
        } else {
            leaf(property, Test::In(values), span)
        };
        if matches_null {
            Ok(Plan::Or(vec![test, leaf(property, Test::IsNull, span)]))
        } else {
            Ok(test)
        }
    }

    fn call(
        &self,
        function: Function,
        name_span: Span,
        args: &[Expr],
        span: Span,
    ) -> Result<Plan, Error> {
        if function != Function::StartsWith {
            let hint = format!("{function} is an extension; the service supports only startswith");
            self.require_extended(name_span, &hint)?;
        }
        let [subject, pattern] = args else {
            let kind = ErrorKind::FunctionArity {
                name: function.name(),
                expected: 2,
                found: args.len(),
            };
            return Err(self.error(kind, span));
        };
        let ExprKind::Property(path) = &subject.kind else {
            return Err(self.type_mismatch("a property", "an expression", None, subject.span));
        };
        let property = self.property(path, subject.span, Some((function.name(), name_span)))?;
        if !matches!(property.ty, PropertyType::String | PropertyType::Enum(_)) {
            return Err(self.type_mismatch("String", property.ty.name(), None, subject.span));
        }
        let ExprKind::Literal(Literal::String(text)) = &pattern.kind else {
            let found = match &pattern.kind {
                ExprKind::Literal(literal) => literal::type_name(literal),
                _ => "an expression",
            };
            return Err(self.type_mismatch("String", found, None, pattern.span));
        };
        let folded = crate::fold::fold_case(text);
        let test = match function {
            Function::StartsWith => Test::StartsWith(folded),
            Function::EndsWith => Test::EndsWith(folded),
            Function::Contains => Test::Contains(folded),
        };
        Ok(leaf(property, test, span))
    }
}

/// Returns true when `lt`, `le`, `gt` and `ge` are meaningful for the type.
fn operator_orders(ty: PropertyType) -> bool {
    !matches!(ty, PropertyType::Enum(_) | PropertyType::Boolean)
}

fn leaf(property: &'static PropertyDef, test: Test, span: Span) -> Plan {
    Plan::Leaf(Predicate {
        property,
        test,
        span,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{Limits, parse};

    fn compile(filter: &str, version: ApiVersion, mode: Mode) -> Result<Plan, Error> {
        let expr = parse(filter, &Limits::default())?;
        bind(&expr, filter, version, mode)
    }

    /// Renders each case's plan, bound and normalized, or its error, for a snapshot.
    fn render(cases: &[(&str, ApiVersion, Mode)]) -> String {
        let mut out = String::new();
        for (filter, version, mode) in cases {
            out.push_str(&format!("# {filter}  ({version}, {mode:?})\n"));
            match compile(filter, *version, *mode) {
                Ok(plan) => {
                    out.push_str(&format!("bound:      {plan}\n"));
                    out.push_str(&format!("normalized: {}\n\n", crate::plan::normalize(plan)));
                }
                Err(error) => out.push_str(&format!("{}\n", error.render())),
            }
        }
        out
    }

    const LATEST: ApiVersion = ApiVersion::LATEST;

    #[test]
    fn binder_errors_render_with_spans() {
        let extended = Mode::Extended;
        let strict = Mode::Strict;
        insta::assert_snapshot!(render(&[
            ("not state eq 'active'", LATEST, extended),
            ("State eq 'active'", LATEST, extended),
            ("executionInfo/exitcode eq 0", LATEST, extended),
            ("state eq 'deleted'", LATEST, extended),
            ("state gt 'active'", LATEST, extended),
            ("id eq 5", LATEST, extended),
            ("executionInfo/exitCode eq '5'", LATEST, extended),
            ("creationTime gt '2018-12-01T00:00:00Z'", LATEST, extended),
            ("creationTime lt null", LATEST, extended),
            ("creationTime eq lastModified", LATEST, extended),
            ("exitConditions/exitCodes eq 1", LATEST, extended),
            (
                "executionInfo/result eq 'failure'",
                ApiVersion::V2017_01_01_4_0,
                extended
            ),
            ("runElevated eq true", LATEST, extended),
            (
                "executionInfo/schedulingError/category eq 'usererror'",
                LATEST,
                extended
            ),
            ("state", LATEST, extended),
            ("startswith(executionInfo/exitCode, '1')", LATEST, extended),
            ("startswith(id, 1)", LATEST, extended),
            (
                "executionInfo/result eq 'failure'",
                ApiVersion::V2018_03_01_6_1,
                strict
            ),
            ("state ne 'active'", ApiVersion::V2017_01_01_4_0, strict),
            ("commandLine eq 'x'", LATEST, strict),
            ("startswith(state, 'act')", LATEST, strict),
            ("endswith(id, 'x')", LATEST, strict),
            ("not (state eq 'active')", LATEST, strict),
            ("id in ('a')", LATEST, strict),
            ("creationTime lt 2018-12-01T01:00:00Z", LATEST, strict),
            ("true", LATEST, strict),
        ]));
    }

    #[test]
    fn binder_plans_follow_semantics() {
        let extended = Mode::Extended;
        insta::assert_snapshot!(render(&[
            (
                "state eq 'Active' and executionInfo/exitCode ne 0",
                LATEST,
                extended
            ),
            ("5 lt executionInfo/exitCode", LATEST, extended),
            (
                "executionInfo/exitCode eq null or executionInfo/exitCode ne null",
                LATEST,
                extended
            ),
            ("not (executionInfo/exitCode lt 0)", LATEST, extended),
            (
                "not (startswith(id, 'A') or id in ('X', null))",
                LATEST,
                extended
            ),
            ("(state eq 'active') eq false", LATEST, extended),
            ("1 eq 1 and state eq 'active'", LATEST, extended),
            ("'a' eq 'A'", LATEST, extended),
            ("null eq null", LATEST, extended),
            (
                "creationTime ge DateTime'2018-12-01T02:00:00+02:00'",
                LATEST,
                extended
            ),
            (
                "lastModifiedTime lt datetime'Sat, 01 Dec 2018 01:00:00 GMT'",
                LATEST,
                extended
            ),
            ("stats/wallClockTime gt 'PT1H30M'", LATEST, extended),
            ("stats/readIOGiB le 1", LATEST, extended),
            ("runElevated", ApiVersion::V2016_07_01_3_1, extended),
            (
                "startswith(id, 'MÜ') and contains(commandLine, 'Exit')",
                LATEST,
                extended
            ),
            (
                "(state eq 'running') and startswith(id, 'renderTask')",
                LATEST,
                Mode::Strict
            ),
        ]));
    }

    #[test]
    fn strict_and_extended_agree_on_documented_filters() {
        let filters = [
            "(state eq 'running') and startswith(id, 'renderTask')",
            "(executionInfo/exitCode lt 0) or (executionInfo/exitCode gt 0)",
            "creationTime gt DateTime'2011-05-08T08:49:37Z'",
            "stateTransitionTime gt DateTime'Sun, 08 May 2011 08:49:37 GMT'",
            "executionInfo/result eq 'failure'",
            "lastModifiedTime le DateTime'2018-01-01T00:00:00Z'",
        ];
        for filter in filters {
            let strict = compile(filter, LATEST, Mode::Strict);
            let extended = compile(filter, LATEST, Mode::Extended);
            assert!(strict.is_ok(), "{filter}: {strict:?}");
            assert_eq!(strict, extended, "{filter}");
        }
    }

    #[test]
    fn result_gate_differs_by_mode() {
        let filter = "executionInfo/result eq 'failure'";
        for version in ApiVersion::ALL {
            let extended = compile(filter, version, Mode::Extended).is_ok();
            let strict = compile(filter, version, Mode::Strict).is_ok();
            assert_eq!(
                extended,
                version >= ApiVersion::V2017_05_01_5_0,
                "{version}"
            );
            assert_eq!(strict, version >= ApiVersion::V2018_08_01_7_0, "{version}");
        }
    }
}
