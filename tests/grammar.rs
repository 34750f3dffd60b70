//! Random derivations of `grammar/filter.abnf` against the parser, the binder and the
//! reference evaluator.
//!
//! The grammar file is read with the ABNF reader in `tests/common/abnf.rs` and derived at
//! random with a depth bound. The rules that a comment constrains beyond ABNF (date and
//! time fields, offsets, number ranges, properties that are not keywords) are generated
//! within those constraints, so every derivation is a filter the grammar promises to
//! accept. Properties and strings are often real task properties and values, so that
//! many derivations also bind. Near-valid mutations of derivations check the error paths.

mod common;

use std::sync::OnceLock;

use batch_odata::bind::{Mode, bind};
use batch_odata::harness;
use batch_odata::syntax::{Limits, parse};
use batch_odata::version::ApiVersion;
use common::abnf::{Generator, Grammar, Node, Rng};
use common::{check_against_reference, job};
use proptest::prelude::*;

/// The nesting depth at which the generator picks the shallowest alternatives.
const MAX_DEPTH: usize = 14;

/// Properties of the task schema that derivations use most of the time.
const PROPERTIES: [&str; 12] = [
    "id",
    "state",
    "creationTime",
    "stateTransitionTime",
    "lastModified",
    "lastModifiedTime",
    "commandLine",
    "displayName",
    "executionInfo/exitCode",
    "executionInfo/result",
    "executionInfo/startTime",
    "executionInfo/retryCount",
];

/// String values that match the generated tasks.
const STRINGS: [&str; 9] = [
    "'active'",
    "'Running'",
    "'completed'",
    "'success'",
    "'FAILURE'",
    "'task-1'",
    "'müller'",
    "'a''b'",
    "''",
];

fn grammar() -> &'static Grammar {
    static GRAMMAR: OnceLock<Grammar> = OnceLock::new();
    GRAMMAR.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/grammar/filter.abnf");
        let text = std::fs::read_to_string(path).expect("the grammar file is readable");
        Grammar::parse(&text).unwrap_or_else(|error| panic!("grammar/filter.abnf: {error}"))
    })
}

/// Returns the words of the `keyword` rule, which a property cannot be.
fn keywords() -> &'static [String] {
    static KEYWORDS: OnceLock<Vec<String>> = OnceLock::new();
    KEYWORDS.get_or_init(|| {
        let mut words = Vec::new();
        collect_texts(&grammar().rules["keyword"], &mut words);
        words
    })
}

fn collect_texts(node: &Node, words: &mut Vec<String>) {
    match node {
        Node::Text { text, .. } => words.push(text.clone()),
        Node::Rule(name) => collect_texts(&grammar().rules[name], words),
        Node::Alternation(nodes) | Node::Concatenation(nodes) => {
            nodes.iter().for_each(|node| collect_texts(node, words));
        }
        Node::Repetition { node, .. } => collect_texts(node, words),
        Node::Range(..) => {}
    }
}

/// Returns the syntax rules: those defined before `ws`, the first token rule.
fn syntax_rules() -> Vec<&'static str> {
    let order = &grammar().order;
    let first_token = order
        .iter()
        .position(|name| name == "ws")
        .expect("a ws rule");
    order[..first_token].iter().map(String::as_str).collect()
}

fn two_digits(rng: &mut Rng, low: usize, high: usize) -> Option<String> {
    Some(format!("{:02}", low + rng.below(high - low + 1)))
}

/// Properties by the literal rule their values come from, with the operators they allow.
const TYPED_PROPERTIES: [(&str, &str, &[&str]); 8] = [
    ("id", "string", &["eq", "ne", "gt", "ge", "lt", "le"]),
    ("commandLine", "string", &["eq", "ne", "gt", "lt"]),
    ("state", "state", &["eq", "ne"]),
    ("executionInfo/result", "result", &["eq", "ne"]),
    (
        "executionInfo/exitCode",
        "integer",
        &["eq", "ne", "gt", "ge", "lt", "le"],
    ),
    ("executionInfo/retryCount", "integer", &["eq", "ge", "lt"]),
    (
        "creationTime",
        "date-time",
        &["eq", "ne", "gt", "ge", "lt", "le"],
    ),
    ("executionInfo/startTime", "date-time", &["gt", "le"]),
];

/// Derives a comparison whose literal has the property's type, so that it binds: most
/// derivations of the grammar alone compare values of unrelated types.
fn typed_term(generator: &Generator<'_>, rng: &mut Rng) -> Option<String> {
    if rng.ratio(1, 4) {
        return None;
    }
    let (property, rule, operators) = *rng.pick(&TYPED_PROPERTIES);
    let literal = match rule {
        "state" => (*rng.pick(&["'active'", "'Running'", "'completed'", "'PREPARING'"])).to_owned(),
        "result" => (*rng.pick(&["'success'", "'FAILURE'", "null"])).to_owned(),
        rule => generator.token_text(rule, rng),
    };
    let operator = rng.pick(operators);
    Some(match rng.below(5) {
        0 if property == "id" || property == "commandLine" => {
            let function = rng.pick(&["startswith", "endswith", "contains"]);
            format!(
                "{function}({property}, {})",
                generator.token_text("string", rng)
            )
        }
        1 => format!("{literal} {} {property}", flipped(operator)),
        _ => format!("{property} {operator} {literal}"),
    })
}

/// Returns the operator that gives the same comparison with its operands swapped.
fn flipped(operator: &str) -> &str {
    match operator {
        "gt" => "lt",
        "ge" => "le",
        "lt" => "gt",
        "le" => "ge",
        other => other,
    }
}

fn generator() -> Generator<'static> {
    Generator::new(grammar(), &syntax_rules(), MAX_DEPTH)
        // Years whose instants stay inside 0001 to 9999 in UTC with any offset.
        .with_override("term", typed_term)
        .with_override("year", |_, rng| Some(format!("{:04}", 2 + rng.below(9997))))
        .with_override("month", |_, rng| two_digits(rng, 1, 12))
        // Every month has 28 days.
        .with_override("day", |_, rng| two_digits(rng, 1, 28))
        .with_override("month-day", |_, rng| {
            let day = 1 + rng.below(28);
            Some(if rng.ratio(1, 2) {
                day.to_string()
            } else {
                format!("{day:02}")
            })
        })
        .with_override("hour", |_, rng| two_digits(rng, 0, 23))
        .with_override("minute", |_, rng| two_digits(rng, 0, 59))
        .with_override("second", |_, rng| two_digits(rng, 0, 59))
        .with_override("zone", |_, rng| {
            let minutes = rng.below(14 * 60 + 1);
            Some(match rng.below(4) {
                0 => "Z".to_owned(),
                1 => "z".to_owned(),
                2 => format!("+{:02}:{:02}", minutes / 60, minutes % 60),
                _ => format!("-{:02}:{:02}", minutes / 60, minutes % 60),
            })
        })
        .with_override("property", |_, rng| {
            rng.ratio(3, 4).then(|| (*rng.pick(&PROPERTIES)).to_owned())
        })
        .with_override("string", |_, rng| {
            rng.ratio(1, 2).then(|| (*rng.pick(&STRINGS)).to_owned())
        })
        .with_validator("path", |path| {
            !keywords()
                .iter()
                .any(|word| word.eq_ignore_ascii_case(path))
        })
        .with_validator("integer", |text| text.parse::<i64>().is_ok())
        .with_validator("decimal", |text| {
            text.parse::<f64>().is_ok_and(f64::is_finite)
        })
}

/// Joins tokens with random white space, as the grammar allows between any two tokens.
fn join(tokens: &[String], rng: &mut Rng) -> String {
    const SPACES: [&str; 4] = [" ", " ", "\t", "  "];
    let mut text = String::new();
    if rng.ratio(1, 8) {
        text.push_str(SPACES[rng.below(SPACES.len())]);
    }
    for (index, token) in tokens.iter().enumerate() {
        if index > 0 {
            text.push_str(SPACES[rng.below(SPACES.len())]);
        }
        text.push_str(token);
    }
    text
}

fn derivation(seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let tokens = generator().tokens("filter", &mut rng);
    join(&tokens, &mut rng)
}

/// Values that lie just outside a range a token rule allows.
const OUT_OF_RANGE: [&str; 8] = [
    "9223372036854775808",
    "-9223372036854775809",
    "1e999",
    "DateTime'2011-13-01'",
    "DateTime'2011-02-29T00:00:00Z'",
    "2011-05-08T24:00:00Z",
    "DateTime'2011-05-08T08:49:37+14:01'",
    "DateTime'Sun, 32 May 2011 08:49:37 GMT'",
];

/// Changes one token of a derivation in a way that usually makes it invalid.
fn mutate(tokens: &mut Vec<String>, rng: &mut Rng) {
    if tokens.is_empty() {
        return;
    }
    let index = rng.below(tokens.len());
    match rng.below(6) {
        0 => {
            tokens.remove(index);
        }
        1 => tokens.insert(index, tokens[index].clone()),
        2 if index + 1 < tokens.len() => tokens.swap(index, index + 1),
        3 => tokens[index] = flip_case(&tokens[index]),
        4 => tokens[index] = break_quote(&tokens[index], rng),
        _ => tokens[index] = (*rng.pick(&OUT_OF_RANGE)).to_owned(),
    }
}

fn flip_case(token: &str) -> String {
    token
        .chars()
        .map(|c| match c {
            c if c.is_ascii_lowercase() => c.to_ascii_uppercase(),
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Drops the closing quote of a string, or puts a stray quote into any other token.
fn break_quote(token: &str, rng: &mut Rng) -> String {
    match token.strip_suffix('\'') {
        Some(open) if token.len() > 1 => open.to_owned(),
        _ => {
            let cut = token
                .char_indices()
                .map(|(i, _)| i)
                .nth(rng.below(token.chars().count()))
                .unwrap_or(0);
            format!("{}'{}", &token[..cut], &token[cut..])
        }
    }
}

#[test]
fn grammar_file_reads() {
    let grammar = grammar();
    for rule in [
        "filter",
        "or-expr",
        "operand",
        "string",
        "date-time",
        "zone",
    ] {
        assert!(grammar.rules.contains_key(rule), "{rule} is missing");
    }
    assert_eq!(syntax_rules().first(), Some(&"filter"));
    let mut words = keywords().to_vec();
    words.sort();
    let expected = [
        "and", "eq", "false", "ge", "gt", "in", "le", "lt", "ne", "not", "null", "or", "true",
    ];
    assert_eq!(words, expected);
}

#[test]
fn derivations_often_bind() {
    // Guards the properties below against a generator whose output never binds, which
    // would leave the comparison with the reference evaluator untested.
    let bound = (0..500u64)
        .filter(|&seed| {
            let text = derivation(seed);
            parse(&text, &Limits::default())
                .is_ok_and(|expr| bind(&expr, &text, ApiVersion::LATEST, Mode::Extended).is_ok())
        })
        .count();
    assert!(bound >= 100, "only {bound} of 500 derivations bind");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn derivations_parse_and_match_reference(seed in any::<u64>(), tasks in job()) {
        let text = derivation(seed);
        let expr = match parse(&text, &Limits::default()) {
            Ok(expr) => expr,
            Err(error) => {
                return Err(TestCaseError::fail(format!("{text:?}\n{}", error.render())));
            }
        };
        harness::check_filter(text.as_bytes());
        if let Ok(bound) = bind(&expr, &text, ApiVersion::LATEST, Mode::Extended) {
            check_against_reference(&tasks, &bound, &text)?;
        }
    }

    #[test]
    fn mutations_fail_cleanly(seed in any::<u64>(), mutations in 1..4usize) {
        let mut rng = Rng::new(seed);
        let mut tokens = generator().tokens("filter", &mut rng);
        for _ in 0..mutations {
            mutate(&mut tokens, &mut rng);
        }
        let text = join(&tokens, &mut rng);
        harness::check_filter(text.as_bytes());
    }
}
