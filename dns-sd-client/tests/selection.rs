//! Statistical and property tests of RFC 2782 selection (`select`).
//!
//! Distribution tests use fixed seeds and Pearson's chi-square against the
//! exact expected counts, rejecting at p = 0.001. Reference implementations
//! of known-biased algorithms are run through the same tests to show that
//! they fail them, i.e. that the tests can tell a biased draw from a fair one.

use dns_core::{Name, Srv};
use dns_sd_client::select::{Order, Selection, SrvRecord, expected_shares, order, pick};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

// ---------------------------------------------------------------- helpers

/// Chi-square critical values at p = 0.001, indexed by degrees of freedom.
const CHI2_CRITICAL_P001: [f64; 8] = [
    f64::NAN,
    10.828,
    13.816,
    16.266,
    18.467,
    20.515,
    22.458,
    24.322,
];

fn srv(priority: u16, weight: u16, host: &str) -> Srv {
    Srv::new(
        priority,
        weight,
        443,
        Name::parse(host).expect("valid name"),
    )
}

fn dot(priority: u16) -> Srv {
    Srv::new(priority, 0, 0, Name::root())
}

/// Records of one priority with these weights.
fn weighted(weights: &[u16]) -> Vec<Srv> {
    weights
        .iter()
        .enumerate()
        .map(|(i, &w)| srv(0, w, &format!("t{i}.example.")))
        .collect()
}

/// Position of `item` in `records`, by identity (records may be duplicates).
fn index_of<T>(records: &[T], item: &T) -> usize {
    records
        .iter()
        .position(|r| std::ptr::eq(r, item))
        .expect("the result points into the input")
}

/// Exact probabilities from effective weights: 100 × w, or 1 for w = 0.
fn effective(weights: &[u16]) -> Vec<f64> {
    weights
        .iter()
        .map(|&w| if w == 0 { 1.0 } else { f64::from(w) * 100.0 })
        .collect()
}

fn normalise(values: &[f64]) -> Vec<f64> {
    let total: f64 = values.iter().sum();
    values.iter().map(|v| v / total).collect()
}

#[derive(Debug)]
struct Fit {
    chi2: f64,
    df: usize,
}

impl Fit {
    fn passes(&self) -> bool {
        self.chi2 < CHI2_CRITICAL_P001[self.df]
    }
}

/// Pearson's chi-square of `observed` counts against `probs`.
///
/// Outcomes of probability 0 are not categories, but observing one makes the
/// statistic infinite.
fn chi_square(observed: &[u64], probs: &[f64]) -> Fit {
    assert_eq!(observed.len(), probs.len());
    let n = observed.iter().sum::<u64>() as f64;
    let mut chi2 = 0.0;
    let mut categories = 0;
    for (&o, &p) in observed.iter().zip(probs) {
        if p == 0.0 {
            if o > 0 {
                chi2 = f64::INFINITY;
            }
            continue;
        }
        let expected = p * n;
        // Below 5 expected per category the chi-square approximation is off:
        // that would be a flaw in the test, not in the code under test.
        assert!(
            expected >= 5.0,
            "test design: expected count {expected} < 5"
        );
        chi2 += (o as f64 - expected).powi(2) / expected;
        categories += 1;
    }
    assert!(categories >= 2, "test design: need two or more categories");
    Fit {
        chi2,
        df: categories - 1,
    }
}

fn assert_fits(observed: &[u64], probs: &[f64], what: &str) {
    let fit = chi_square(observed, probs);
    let n = observed.iter().sum::<u64>() as f64;
    let expected: Vec<f64> = probs.iter().map(|p| (p * n).round()).collect();
    assert!(
        fit.passes(),
        "{what}: chi2 {:.2} >= {} (df {}); observed {observed:?}, expected {expected:?}",
        fit.chi2,
        CHI2_CRITICAL_P001[fit.df],
        fit.df,
    );
}

fn assert_rejected(observed: &[u64], probs: &[f64], what: &str) {
    let fit = chi_square(observed, probs);
    assert!(
        !fit.passes(),
        "{what}: chi2 {:.2} < {} (df {}) — the test cannot see this bias; observed {observed:?}",
        fit.chi2,
        CHI2_CRITICAL_P001[fit.df],
        fit.df,
    );
}

/// How often each record comes out of `choose`, over `draws` seeded runs.
fn tally(
    records: &[Srv],
    draws: usize,
    seed: u64,
    mut choose: impl FnMut(&[Srv], &mut StdRng) -> usize,
) -> Vec<u64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut counts = vec![0; records.len()];
    for _ in 0..draws {
        counts[choose(records, &mut rng)] += 1;
    }
    counts
}

fn by_pick(records: &[Srv], rng: &mut StdRng) -> usize {
    let chosen = pick(records, rng).target().expect("a usable target");
    index_of(records, chosen)
}

fn at_position(position: usize) -> impl FnMut(&[Srv], &mut StdRng) -> usize {
    move |records, rng| index_of(records, order(records, rng).as_slice()[position])
}

// ------------------------------------------------- reference (biased) draws

/// RFC 2782's pseudo-algorithm, literally: weight-0 records first, running
/// sums, r uniform in [0, S] inclusive, the first record with running sum ≥ r.
fn literal_rfc_pick(records: &[Srv], rng: &mut StdRng) -> usize {
    let mut indices: Vec<usize> = (0..records.len()).collect();
    indices.sort_by_key(|&i| records[i].weight != 0);
    let total: u32 = records.iter().map(|r| u32::from(r.weight)).sum();
    let r = rng.random_range(0..=total);
    let mut running = 0;
    for i in indices {
        running += u32::from(records[i].weight);
        if running >= r {
            return i;
        }
    }
    unreachable!("the last running sum is S >= r")
}

/// Go's `shuffleByWeight`: r uniform in [0, S), the first running sum > r.
/// Exact for positive weights, but never picks weight 0 while S > 0.
fn go_style_pick(records: &[Srv], rng: &mut StdRng) -> usize {
    let total: u32 = records.iter().map(|r| u32::from(r.weight)).sum();
    let r = rng.random_range(0..total);
    let mut running = 0;
    for (i, record) in records.iter().enumerate() {
        running += u32::from(record.weight);
        if running > r {
            return i;
        }
    }
    unreachable!("the last running sum is S > r")
}

// ------------------------------------------------------- proportionality

#[test]
fn equal_weights_split_evenly_for_pick() {
    let records = weighted(&[1, 1]);
    let counts = tally(&records, 20_000, 1, by_pick);
    assert_fits(&counts, &[0.5, 0.5], "pick, weights 1:1");
}

#[test]
fn equal_weights_split_evenly_for_first_of_order() {
    let records = weighted(&[1, 1]);
    let counts = tally(&records, 20_000, 2, at_position(0));
    assert_fits(&counts, &[0.5, 0.5], "order[0], weights 1:1");
}

#[test]
fn literal_rfc_draw_fails_the_even_split_test() {
    let records = weighted(&[1, 1]);
    let counts = tally(&records, 20_000, 1, literal_rfc_pick);
    // Its known bias: 2/3 for the first record, and the test sees it.
    assert_fits(&counts, &[2.0 / 3.0, 1.0 / 3.0], "literal RFC, weights 1:1");
    assert_rejected(&counts, &[0.5, 0.5], "literal RFC, weights 1:1");
}

#[test]
fn weights_10_20_70_are_proportional() {
    let records = weighted(&[10, 20, 70]);
    let shares = [0.1, 0.2, 0.7];
    assert_fits(&tally(&records, 30_000, 3, by_pick), &shares, "pick");
    assert_fits(
        &tally(&records, 30_000, 4, at_position(0)),
        &shares,
        "order[0]",
    );
    assert_eq!(expected_shares(&records), shares);
}

#[test]
fn literal_rfc_draw_fails_the_proportional_test_on_small_weights() {
    // Same 1:2:7 ratio, smaller numbers: the extra outcome of [0, S] weighs
    // 1/11 here, far more than with 10:20:70.
    let records = weighted(&[1, 2, 7]);
    let shares = [0.1, 0.2, 0.7];
    assert_fits(&tally(&records, 30_000, 3, by_pick), &shares, "pick, 1:2:7");
    let literal = tally(&records, 30_000, 3, literal_rfc_pick);
    assert_rejected(&literal, &shares, "literal RFC, 1:2:7");
}

/// P(record j is at position 2) = Σ_{i≠j} P(i first) × w_j / (W − w_i).
fn second_position_probabilities(weights: &[f64]) -> Vec<f64> {
    let total: f64 = weights.iter().sum();
    (0..weights.len())
        .map(|j| {
            (0..weights.len())
                .filter(|&i| i != j)
                .map(|i| weights[i] / total * weights[j] / (total - weights[i]))
                .sum()
        })
        .collect()
}

#[test]
fn second_position_matches_the_conditional_probability() {
    let weights = [10, 20, 70];
    let records = weighted(&weights);
    let expected = second_position_probabilities(&effective(&weights));
    // 0.2583, 0.4889, 0.2528 for 10:20:70.
    assert!((expected.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert!((expected[1] - (0.1 * 0.2 / 0.9 + 0.7 * 0.2 / 0.3)).abs() < 1e-12);

    let counts = tally(&records, 30_000, 5, at_position(1));
    assert_fits(&counts, &expected, "order[1], weights 10:20:70");
    // Power: the marginal shares are a plausible wrong answer (e.g. from
    // drawing with replacement); the observed counts must rule them out.
    assert_rejected(&counts, &[0.1, 0.2, 0.7], "order[1] vs first-draw shares");
}

#[test]
fn whole_order_matches_the_permutation_probabilities() {
    let weights = [10_u16, 20, 70];
    let records = weighted(&weights);
    let w = effective(&weights);
    let total: f64 = w.iter().sum();
    let permutations = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    let probs: Vec<f64> = permutations
        .iter()
        .map(|p| w[p[0]] / total * w[p[1]] / (total - w[p[0]]))
        .collect();

    let mut rng = StdRng::seed_from_u64(6);
    let mut counts = vec![0; permutations.len()];
    for _ in 0..30_000 {
        let list = order(&records, &mut rng).into_vec();
        let seen: Vec<usize> = list.iter().map(|r| index_of(&records, r)).collect();
        let k = permutations
            .iter()
            .position(|p| p[..] == seen[..])
            .expect("a permutation of the three records");
        counts[k] += 1;
    }
    assert_fits(&counts, &probs, "whole order, weights 10:20:70");
}

// ---------------------------------------------------------------- weight 0

#[test]
fn weight_zero_is_chosen_rarely_at_its_rate() {
    // S = 2, z = 1: the weight-0 record is first with probability 1/201.
    let records = weighted(&[0, 1, 1]);
    let expected = normalise(&effective(&[0, 1, 1]));
    assert!((expected[0] - 1.0 / 201.0).abs() < 1e-15);
    assert_eq!(expected_shares(&records), expected);

    let counts = tally(&records, 200_000, 7, by_pick);
    assert!(counts[0] > 0, "weight 0 must get a nonzero chance");
    assert_fits(&counts, &expected, "pick, weights 0:1:1");

    // Power: never choosing weight 0 (Go), or giving it 1/(S+1) (literal
    // RFC), are both rejected.
    let go = tally(&records, 200_000, 7, go_style_pick);
    assert_eq!(go[0], 0);
    assert_rejected(&go, &expected, "Go-style draw, weights 0:1:1");
    let literal = tally(&records, 200_000, 7, literal_rfc_pick);
    assert_rejected(&literal, &expected, "literal RFC, weights 0:1:1");
}

#[test]
fn several_weight_zero_records_share_their_rate() {
    // S = 1, z = 2: each weight-0 record is first with probability 1/102.
    let records = weighted(&[0, 0, 1]);
    let expected = normalise(&effective(&[0, 0, 1]));
    assert!((expected[1] - 1.0 / 102.0).abs() < 1e-15);
    assert_fits(
        &tally(&records, 100_000, 8, by_pick),
        &expected,
        "pick, 0:0:1",
    );
    assert_fits(
        &tally(&records, 100_000, 9, at_position(0)),
        &expected,
        "order[0], 0:0:1",
    );
}

#[test]
fn all_zero_group_is_uniform() {
    let records = weighted(&[0, 0, 0, 0]);
    let uniform = [0.25; 4];
    assert_eq!(expected_shares(&records), uniform);
    assert_fits(
        &tally(&records, 20_000, 10, by_pick),
        &uniform,
        "pick, all 0",
    );
    for position in 0..4 {
        let counts = tally(
            &records,
            20_000,
            11 + position as u64,
            at_position(position),
        );
        assert_fits(&counts, &uniform, &format!("order[{position}], all 0"));
    }
}

// ------------------------------------------------------------ "." records

#[test]
fn only_dot_records_mean_unavailable() {
    let mut rng = StdRng::seed_from_u64(0);
    for records in [vec![dot(0)], vec![dot(0), dot(10)]] {
        assert_eq!(pick(&records, &mut rng), Selection::Unavailable);
        assert_eq!(order(&records, &mut rng), Order::Unavailable);
        assert!(expected_shares(&records).iter().all(|&s| s == 0.0));
        assert_eq!(expected_shares(&records).len(), records.len());
    }
}

#[test]
fn empty_input_means_no_targets() {
    let mut rng = StdRng::seed_from_u64(0);
    let records: [Srv; 0] = [];
    assert_eq!(pick(&records, &mut rng), Selection::NoTargets);
    assert_eq!(order(&records, &mut rng), Order::NoTargets);
    assert!(expected_shares(&records).is_empty());
}

#[test]
fn dot_among_real_targets_is_ignored() {
    // The "." has the lowest priority and a large weight: it would win
    // every time if it were treated as a target.
    let records = [dot(0), srv(5, 1, "a.example."), srv(7, 1, "b.example.")];
    let mut rng = StdRng::seed_from_u64(12);
    for _ in 0..200 {
        assert_eq!(pick(&records, &mut rng), Selection::Target(&records[1]));
        assert_eq!(
            order(&records, &mut rng),
            Order::Targets(vec![&records[1], &records[2]])
        );
    }
    assert_eq!(expected_shares(&records), [0.0, 1.0, 0.0]);
}

#[test]
fn expected_shares_match_observed_frequencies() {
    let records = [
        srv(1, 30, "later.example."),
        srv(0, 5, "a.example."),
        dot(0),
        srv(0, 0, "zero.example."),
        srv(0, 15, "b.example."),
        srv(0, 15, "b.example."), // a duplicate is a separate record
        srv(2, 0, "last.example."),
    ];
    let shares = expected_shares(&records);
    assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    // 500 : 1 : 1500 : 1500 within priority 0.
    assert_eq!(shares[1], 500.0 / 3501.0);
    assert_eq!(shares[3], 1.0 / 3501.0);
    assert_eq!([shares[0], shares[2], shares[6]], [0.0; 3]);

    // The weight-0 record is too rare for a chi-square category at these
    // sample sizes, so fold it into its neighbour for the fit and bound it
    // separately (mean 28.6, sd 5.3: 0 or > 70 is far outside).
    let draws = 100_000;
    for (what, counts) in [
        ("pick", tally(&records, draws, 13, by_pick)),
        ("order[0]", tally(&records, draws, 14, at_position(0))),
    ] {
        assert!(
            (1..70).contains(&counts[3]),
            "{what}: weight-0 count {}",
            counts[3]
        );
        let mut folded_counts = counts.clone();
        let mut folded_shares = shares.clone();
        folded_counts[1] += folded_counts[3];
        folded_counts[3] = 0;
        folded_shares[1] += folded_shares[3];
        folded_shares[3] = 0.0;
        assert_fits(&folded_counts, &folded_shares, what);
    }
}

// --------------------------------------------------------------- structure

#[derive(Debug, Clone)]
struct Spec {
    priority: u16,
    weight: u16,
    is_dot: bool,
}

fn build(specs: &[Spec]) -> Vec<Srv> {
    specs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if s.is_dot {
                dot(s.priority)
            } else {
                // A few hosts only, so duplicates occur.
                srv(s.priority, s.weight, &format!("h{}.example.", i % 5))
            }
        })
        .collect()
}

fn spec() -> impl Strategy<Value = Spec> {
    let weight = prop_oneof![Just(0_u16), 1_u16..4, Just(u16::MAX), any::<u16>()];
    let priority = prop_oneof![0_u16..4, Just(u16::MAX)];
    (priority, weight, prop::bool::weighted(0.15)).prop_map(|(priority, weight, is_dot)| Spec {
        priority,
        weight,
        is_dot,
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2_000,
        // Keep failures out of the source tree; the shrunk input is printed.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn order_is_a_priority_sorted_permutation_of_usable_targets(
        specs in prop::collection::vec(spec(), 0..40),
        seed in any::<u64>(),
    ) {
        let records = build(&specs);
        let usable: Vec<usize> = (0..records.len())
            .filter(|&i| !records[i].srv().is_unavailable())
            .collect();
        let shares = expected_shares(&records);
        prop_assert_eq!(shares.len(), records.len());

        let outcome = order(&records, &mut StdRng::seed_from_u64(seed));
        let chosen = pick(&records, &mut StdRng::seed_from_u64(seed));
        if usable.is_empty() {
            let (want_order, want_pick) = if records.is_empty() {
                (Order::NoTargets, Selection::NoTargets)
            } else {
                (Order::Unavailable, Selection::Unavailable)
            };
            prop_assert_eq!(outcome, want_order);
            prop_assert_eq!(chosen, want_pick);
            prop_assert!(shares.iter().all(|&s| s == 0.0));
            return Ok(());
        }

        let list = match outcome {
            Order::Targets(list) => list,
            other => return Err(TestCaseError::fail(format!("expected targets, got {other:?}"))),
        };
        let mut seen: Vec<usize> = list.iter().map(|r| index_of(&records, r)).collect();
        let priorities: Vec<u16> = list.iter().map(|r| r.priority).collect();
        prop_assert!(
            priorities.is_sorted(),
            "priorities out of order: {:?}", priorities
        );
        seen.sort_unstable();
        prop_assert_eq!(&seen, &usable, "not a permutation of the usable records");

        // pick() agrees with the first step of order() on the same seed.
        let first = chosen.target().expect("usable targets exist");
        prop_assert!(std::ptr::eq(first, list[0]));
        let lowest = usable.iter().map(|&i| records[i].priority).min();
        prop_assert_eq!(Some(first.priority), lowest);

        prop_assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        prop_assert!(shares[index_of(&records, first)] > 0.0);
        for (i, &share) in shares.iter().enumerate() {
            let in_lowest = usable.contains(&i) && Some(records[i].priority) == lowest;
            prop_assert_eq!(share > 0.0, in_lowest, "share {} of record {}", share, i);
        }
    }
}

#[test]
fn large_and_extreme_inputs_do_not_panic() {
    let mut rng = StdRng::seed_from_u64(15);

    // Thousands of maximal weights in one priority, all duplicates.
    let same = vec![srv(u16::MAX, u16::MAX, "dup.example."); 20_000];
    let list = order(&same, &mut rng).into_vec();
    assert_eq!(list.len(), same.len());
    let mut seen: Vec<usize> = list.iter().map(|r| index_of(&same, r)).collect();
    seen.sort_unstable();
    assert!(seen.iter().copied().eq(0..same.len()));
    assert!(pick(&same, &mut rng).target().is_some());
    let shares = expected_shares(&same);
    assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-9);

    // Mixed extremes: every weight and priority class, many "." records.
    let mixed: Vec<Srv> = (0..5_000_u32)
        .map(|i| match i % 5 {
            0 => dot(0),
            1 => srv(0, 0, "zero.example."),
            2 => srv(0, u16::MAX, "max.example."),
            3 => srv(u16::MAX, 1, "far.example."),
            _ => srv((i % 7) as u16, (i % 3) as u16, "some.example."),
        })
        .collect();
    let list = order(&mixed, &mut rng).into_vec();
    assert_eq!(list.len(), 4_000);
    assert!(list.iter().map(|r| r.priority).is_sorted());
    assert!(pick(&mixed, &mut rng).target().is_some());
}
