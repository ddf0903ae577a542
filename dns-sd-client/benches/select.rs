//! Cost of RFC 2782 selection: `order` and `pick` over 3, 10 and 100 targets
//! of mixed priorities and weights (including weight 0 and a "." record).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use dns_core::{Name, Srv};
use dns_sd_client::select::{order, pick};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const SIZES: [usize; 3] = [3, 10, 100];

/// `n` records over about `n / 4` priorities, weights 0-100 with some zeros,
/// and one "." record for every 25 (ignored next to real targets).
fn records(n: usize) -> Vec<Srv> {
    let mut rng = StdRng::seed_from_u64(2782);
    let priorities = u16::try_from(n / 4).unwrap_or(u16::MAX).max(1);
    (0..n)
        .map(|i| {
            let priority = rng.random_range(0..priorities);
            if i % 25 == 24 {
                return Srv::new(priority, 0, 0, Name::root());
            }
            let weight = if i % 5 == 0 {
                0
            } else {
                rng.random_range(1..=100)
            };
            let name = Name::parse(&format!("t{i}.example.")).expect("valid name");
            Srv::new(priority, weight, 443, name)
        })
        .collect()
}

fn bench_order(c: &mut Criterion) {
    let mut group = c.benchmark_group("order");
    for n in SIZES {
        let input = records(n);
        let mut rng = StdRng::seed_from_u64(1);
        group.bench_with_input(BenchmarkId::from_parameter(n), &input, |b, input| {
            b.iter(|| order(black_box(input.as_slice()), &mut rng));
        });
    }
    group.finish();
}

fn bench_pick(c: &mut Criterion) {
    let mut group = c.benchmark_group("pick");
    for n in SIZES {
        let input = records(n);
        let mut rng = StdRng::seed_from_u64(1);
        group.bench_with_input(BenchmarkId::from_parameter(n), &input, |b, input| {
            b.iter(|| pick(black_box(input.as_slice()), &mut rng));
        });
    }
    group.finish();
}

criterion_group!(benches, bench_order, bench_pick);
criterion_main!(benches);
