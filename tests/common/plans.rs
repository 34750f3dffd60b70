//! Plan strategies: random tasks whose properties are often missing or null, with ids whose
//! folding differs from plain lower-casing, and random plans over them.

use batch_odata::datetime::DateTime;
use batch_odata::fold::fold_case;
use batch_odata::plan::{Plan, Predicate, Test, Value};
use batch_odata::schema;
use batch_odata::span::Span;
use batch_odata::syntax::CompareOp;
use proptest::prelude::*;
use serde_json::{Map, Value as Json, json};

/// Id characters: ASCII in both cases, and letters whose folding is not plain lower-casing.
/// `ẞ` folds to `ß`, the three sigmas fold to `σ`, and `İ` stays as it is. Ids made of them
/// collide and order in ways that a naive comparison gets wrong.
pub const ID_CHARS: &[char] = &[
    'a', 'A', 'b', 'B', '-', '1', '2', 'ß', 'ẞ', 'Σ', 'σ', 'ς', 'ü', 'Ü', 'İ',
];

pub const STATES: &[&str] = &["active", "Preparing", "running", "COMPLETED"];
pub const RESULTS: &[&str] = &["success", "Failure"];
pub const EXIT_CODES: &[i64] = &[-2, -1, 0, 1, 2, 3, i32::MAX as i64, i32::MIN as i64];
pub const TIMES: &[&str] = &[
    "2018-03-13T07:19:20.9236757Z",
    "2018-03-13T07:19:20.9236758Z",
    "2018-03-13T08:19:20.9236757+01:00",
    "2018-03-13T07:19:21Z",
    "2019-01-01T00:00:00Z",
    "0001-01-01T00:00:00Z",
];
pub const COMMAND_LINES: &[&str] = &["cmd /c echo", "CMD /C ECHO hello", "python run.py", ""];

pub fn ticks(text: &str) -> i64 {
    DateTime::parse_iso(text).expect("valid test time").ticks()
}

pub fn pick<T: Clone + std::fmt::Debug + 'static>(items: &'static [T]) -> impl Strategy<Value = T> {
    proptest::sample::select(items)
}

/// Returns `text` with each letter upper-cased or kept at random.
pub fn any_case(text: &'static str) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<bool>(), text.chars().count()).prop_map(move |upper| {
        text.chars()
            .zip(upper)
            .map(|(c, up)| {
                if up {
                    c.to_uppercase().next().unwrap_or(c)
                } else {
                    c
                }
            })
            .collect()
    })
}

pub fn id_strategy() -> impl Strategy<Value = String> {
    proptest::collection::vec(pick(ID_CHARS), 1..5).prop_map(|chars| chars.into_iter().collect())
}

/// Returns a strategy for a task property that is missing, JSON null, or present.
pub fn optional<S>(present: S) -> impl Strategy<Value = Option<Option<S::Value>>>
where
    S: Strategy + 'static,
    S::Value: Clone,
{
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(None)),
        4 => present.prop_map(|value| Some(Some(value))),
    ]
}

pub fn insert(object: &mut Map<String, Json>, key: &str, value: Option<Option<Json>>) {
    if let Some(value) = value {
        object.insert(key.to_owned(), value.unwrap_or(Json::Null));
    }
}

pub fn task_strategy() -> impl Strategy<Value = Json> {
    let state = optional(pick(STATES).prop_flat_map(any_case));
    let result = optional(pick(RESULTS).prop_flat_map(any_case));
    let exit_code = optional(pick(EXIT_CODES));
    let time = optional(pick(TIMES));
    let command = optional(pick(COMMAND_LINES));
    let info_null = any::<bool>();
    (
        id_strategy(),
        state,
        result,
        exit_code,
        time,
        command,
        info_null,
    )
        .prop_map(|(id, state, result, exit_code, time, command, info_null)| {
            let mut task = Map::new();
            task.insert("id".into(), json!(id));
            insert(&mut task, "state", state.map(|s| s.map(Json::from)));
            insert(&mut task, "creationTime", time.map(|t| t.map(Json::from)));
            insert(&mut task, "commandLine", command.map(|c| c.map(Json::from)));
            let mut info = Map::new();
            insert(&mut info, "exitCode", exit_code.map(|c| c.map(Json::from)));
            insert(&mut info, "result", result.map(|r| r.map(Json::from)));
            if !info.is_empty() {
                task.insert("executionInfo".into(), Json::Object(info));
            } else if info_null {
                task.insert("executionInfo".into(), Json::Null);
            }
            Json::Object(task)
        })
}

/// Returns a strategy for tasks whose ids are unique when case is ignored.
pub fn tasks_strategy(max: usize) -> impl Strategy<Value = Vec<Json>> {
    proptest::collection::vec(task_strategy(), 0..max).prop_map(|tasks| {
        let mut seen = std::collections::HashSet::new();
        tasks
            .into_iter()
            .filter(|task| seen.insert(fold_case(task["id"].as_str().unwrap_or_default())))
            .collect()
    })
}

pub fn leaf(path: &str, test: Test) -> Plan {
    let property = schema::lookup(path).expect("property in schema");
    Plan::Leaf(Predicate {
        property,
        test,
        span: Span::default(),
    })
}

pub fn op_strategy() -> impl Strategy<Value = CompareOp> {
    pick(&CompareOp::ALL)
}

/// Returns a strategy for tests on a string property, with constants drawn from `values`.
pub fn string_test(
    values: impl Strategy<Value = String> + Clone + 'static,
) -> impl Strategy<Value = Test> {
    let short = "[a-zA-Zßσ1 -]{0,2}";
    prop_oneof![
        4 => (op_strategy(), values.clone()).prop_map(|(op, v)| Test::Compare(op, Value::Str(v))),
        1 => Just(Test::IsNull),
        1 => Just(Test::IsNotNull),
        1 => short.prop_map(Test::StartsWith),
        1 => short.prop_map(Test::EndsWith),
        1 => short.prop_map(Test::Contains),
        1 => proptest::collection::vec(values, 0..4)
            .prop_map(|vs| Test::In(vs.into_iter().map(Value::Str).collect())),
        1 => (op_strategy(), any::<i64>()).prop_map(|(op, n)| Test::Compare(op, Value::Int(n))),
    ]
}

pub fn number_constant() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => pick(EXIT_CODES).prop_map(Value::Int),
        1 => (-3i64..4).prop_map(|n| Value::Double(n as f64 + 0.5)),
        1 => (-3i64..4).prop_map(|n| Value::Double(n as f64)),
        1 => Just(Value::Double(1e300)),
        1 => Just(Value::Str("1".into())),
        1 => Just(Value::Ticks(1)),
    ]
    .boxed()
}

pub fn time_constant() -> BoxedStrategy<Value> {
    prop_oneof![
        6 => (pick(TIMES), -1i64..=1).prop_map(|(t, d)| Value::Ticks(ticks(t) + d)),
        1 => Just(Value::Int(0)),
    ]
    .boxed()
}

pub fn ordered_test(constant: BoxedStrategy<Value>) -> impl Strategy<Value = Test> {
    prop_oneof![
        6 => (op_strategy(), constant.clone()).prop_map(|(op, c)| Test::Compare(op, c)),
        1 => Just(Test::IsNull),
        1 => Just(Test::IsNotNull),
        1 => proptest::collection::vec(constant, 0..4).prop_map(Test::In),
        1 => Just(Test::StartsWith("1".into())),
    ]
}

pub fn leaf_strategy(ids: Vec<String>) -> impl Strategy<Value = Plan> {
    let id_values = prop_oneof![
        3 => proptest::sample::select(ids),
        1 => id_strategy(),
    ]
    .boxed();
    let state_values = pick(STATES).prop_flat_map(any_case).boxed();
    let result_values = prop_oneof![
        3 => pick(RESULTS).prop_flat_map(any_case),
        1 => Just("succ".to_owned()),
    ]
    .boxed();
    let command_values = pick(COMMAND_LINES).prop_map(str::to_owned).boxed();
    prop_oneof![
        3 => string_test(id_values).prop_map(|t| leaf("id", t)),
        2 => string_test(state_values).prop_map(|t| leaf("state", t)),
        2 => string_test(result_values).prop_map(|t| leaf("executionInfo/result", t)),
        2 => ordered_test(number_constant()).prop_map(|t| leaf("executionInfo/exitCode", t)),
        2 => ordered_test(time_constant()).prop_map(|t| leaf("creationTime", t)),
        1 => string_test(command_values).prop_map(|t| leaf("commandLine", t)),
        1 => Just(leaf("executionInfo", Test::IsNull)),
    ]
}

pub fn plan_strategy(ids: Vec<String>) -> impl Strategy<Value = Plan> {
    let leaves = prop_oneof![
        10 => leaf_strategy(ids),
        1 => any::<bool>().prop_map(Plan::Const),
    ];
    leaves.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Plan::And),
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Plan::Or),
            inner.prop_map(|child| Plan::Not(Box::new(child))),
        ]
    })
}

/// Returns the ids that plans draw constants from: a few of the tasks' ids and fixed ones.
pub fn pool(tasks: &[Json]) -> Vec<String> {
    let mut ids: Vec<String> = tasks
        .iter()
        .take(6)
        .filter_map(|task| task["id"].as_str().map(str::to_owned))
        .collect();
    ids.extend(["a".to_owned(), "B-1".to_owned(), "ß".to_owned()]);
    ids
}
