//! Parse time of hostile filter shapes at 1 KiB, 10 KiB and 64 KiB (the default length
//! limit). Each shape should take time proportional to its length: compare the per-byte
//! throughput that criterion reports across the three sizes.

use std::hint::black_box;

use batch_odata::syntax::{Limits, parse};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const SIZES: [usize; 3] = [1 << 10, 10 << 10, 64 << 10];

/// A named generator of filter text of about the given size in bytes.
type Shape = (&'static str, fn(usize) -> String);

/// Repeats `unit` until the text reaches `size` bytes, keeping it within the limit.
fn repeat_to(unit: &str, size: usize) -> String {
    unit.repeat(size / unit.len())
}

/// Nesting as deep as the limit allows, repeated: `((((a eq 1)))) or ((((a eq 1)))) ...`.
fn deep_groups(size: usize) -> String {
    let depth = Limits::default().max_depth;
    let group = format!("{}a eq 1{} or ", "(".repeat(depth), ")".repeat(depth));
    let text = repeat_to(&group, size);
    text.trim_end_matches(" or ").to_owned()
}

fn long_or_chain(size: usize) -> String {
    repeat_to("id eq 'x' or ", size)
        .trim_end_matches(" or ")
        .to_owned()
}

fn long_string(size: usize) -> String {
    format!("id eq '{}'", "x".repeat(size - 8))
}

fn many_escapes(size: usize) -> String {
    format!("id eq '{}'", "''".repeat((size - 8) / 2))
}

/// `not` as deep as the limit allows, then an `and` chain of such terms.
fn many_nots(size: usize) -> String {
    let depth = Limits::default().max_depth;
    let term = format!("{}a and ", "not ".repeat(depth - 1));
    repeat_to(&term, size).trim_end_matches(" and ").to_owned()
}

fn bench_shapes(c: &mut Criterion) {
    let limits = Limits {
        max_terms: usize::MAX,
        ..Limits::default()
    };
    let shapes: [Shape; 5] = [
        ("deep_groups", deep_groups),
        ("long_or_chain", long_or_chain),
        ("long_string", long_string),
        ("many_escapes", many_escapes),
        ("many_nots", many_nots),
    ];
    for (name, make) in shapes {
        let mut group = c.benchmark_group(format!("parse/{name}"));
        for size in SIZES {
            let text = make(size);
            assert!(
                parse(&text, &limits).is_ok(),
                "{name} at {size} bytes parses"
            );
            group.throughput(Throughput::Bytes(text.len() as u64));
            group.bench_with_input(BenchmarkId::from_parameter(size), &text, |b, text| {
                b.iter(|| parse(black_box(text), &limits))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench_shapes);
criterion_main!(benches);
