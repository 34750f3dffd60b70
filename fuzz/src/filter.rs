//! Filter text over real properties, generated from fuzzer bytes for the differential target.
//!
//! The grammar mirrors the property test in `tests/filter_vs_reference.rs`, with values
//! picked so that comparisons fall on, between and around the values that
//! [`crate::tasks`] generates.

use arbitrary::{Arbitrary, Result, Unstructured};

use crate::tasks::{IDS, RESULTS, STATES, TIMES};

/// The nesting depth at which the generator stops making inner nodes.
const MAX_DEPTH: usize = 5;

const OPS: [&str; 6] = ["eq", "ne", "gt", "ge", "lt", "le"];
const FUNCTIONS: [&str; 3] = ["startswith", "endswith", "contains"];
const AFFIXES: [&str; 9] = ["TASK", "task-1", "Ü", "ss", "Σ", "'", "2", "", "ß"];

/// A filter generated from fuzzer bytes, with its text.
#[derive(Debug)]
pub struct FilterText(pub String);

impl<'a> Arbitrary<'a> for FilterText {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut text = String::new();
        write_filter(u, &mut text, 0)?;
        Ok(FilterText(text))
    }
}

fn write_filter(u: &mut Unstructured<'_>, out: &mut String, depth: usize) -> Result<()> {
    let choice = if depth >= MAX_DEPTH {
        0
    } else {
        u.int_in_range(0..=5)?
    };
    match choice {
        0 => write_leaf(u, out)?,
        1 => {
            out.push_str("not (");
            write_filter(u, out, depth + 1)?;
            out.push(')');
        }
        2 => {
            out.push('(');
            write_filter(u, out, depth + 1)?;
            out.push(')');
        }
        3 | 4 => {
            write_filter(u, out, depth + 1)?;
            out.push_str(if choice == 3 { " and " } else { " or " });
            write_filter(u, out, depth + 1)?;
        }
        _ => {
            out.push('(');
            write_filter(u, out, depth + 1)?;
            out.push_str(") ");
            out.push_str(u.choose(&["eq true", "ne true", "eq false", "ne false"])?);
        }
    }
    Ok(())
}

fn write_leaf(u: &mut Unstructured<'_>, out: &mut String) -> Result<()> {
    let op = *u.choose(&OPS)?;
    let equality = *u.choose(&["eq", "ne"])?;
    let text = match u.int_in_range(0..=10)? {
        0 => {
            let state = *u.choose(&STATES)?;
            format!("state {equality} '{}'", mixed_case(u, state)?)
        }
        1 => match *u.choose(&RESULTS)? {
            None => format!("executionInfo/result {equality} null"),
            Some(result) => {
                let result = mixed_case(u, result)?;
                format!("executionInfo/result {op} '{result}'")
            }
        },
        2 => format!("executionInfo/exitCode {op} {}", u.int_in_range(-3..=4)?),
        3 => format!("executionInfo/exitCode {equality} null"),
        4 => format!("creationTime {op} DateTime'{}'", u.choose(&TIMES)?),
        5 => format!("id {op} {}", quoted(&id_like(u)?)),
        6 => {
            let function = *u.choose(&FUNCTIONS)?;
            format!("{function}(id, {})", quoted(u.choose(&AFFIXES)?))
        }
        7 => {
            let count = u.int_in_range(1..=4)?;
            let ids: Vec<String> = (0..count)
                .map(|_| id_like(u).map(|id| quoted(&id)))
                .collect::<Result<_>>()?;
            format!("id in ({})", ids.join(", "))
        }
        8 => format!(
            "executionInfo/exitCode in ({}, null)",
            u.int_in_range(-3..=4)?
        ),
        9 => format!("executionInfo/retryCount {op} {}", u.int_in_range(0..=3)?),
        _ => u.choose(&["true", "false"])?.to_string(),
    };
    out.push_str(&text);
    Ok(())
}

/// Returns a known id, a prefix of one, or either in upper case, so that id comparisons
/// fall on and between the stored ids.
fn id_like(u: &mut Unstructured<'_>) -> Result<String> {
    let id = *u.choose(&IDS)?;
    let length = u.int_in_range(1..=8)?;
    let prefix: String = id.chars().take(length).collect();
    mixed_case(u, &prefix)
}

fn mixed_case(u: &mut Unstructured<'_>, text: &str) -> Result<String> {
    Ok(match u.int_in_range(0..=2)? {
        0 => text.to_owned(),
        1 => text.to_uppercase(),
        _ => text.to_lowercase(),
    })
}

fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
