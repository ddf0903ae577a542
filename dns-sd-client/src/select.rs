//! RFC 2782 target ordering and selection.
//!
//! Given the SRV records of a service, [`order`] produces one fail-over order
//! (every usable target, in the order to try them), [`pick`] chooses the
//! single target to try first, and [`expected_shares`] gives the exact
//! probability with which [`pick`] chooses each record.
//!
//! # Rules
//!
//! 1. **"." targets.** Records whose target is `.` ([`Srv::is_unavailable`])
//!    are removed before anything else. If nothing is left, the outcome is
//!    [`Order::Unavailable`] / [`Selection::Unavailable`] when at least one
//!    "." record was present (RFC 2782: the service is decidedly not
//!    available, so do not fall back to address records), and
//!    [`Order::NoTargets`] / [`Selection::NoTargets`] when the input was empty.
//!    A "." record next to real targets is ignored: RFC 2782 only gives "."
//!    a meaning when it is the sole record.
//! 2. **Priority.** Lower priority first, strictly: every target of priority
//!    `p` comes before any target of priority `q > p`.
//! 3. **Weight.** Within one priority, the next target is drawn at random
//!    with probability exactly proportional to its *effective weight* among
//!    the targets of that priority not yet placed; it is removed and the draw
//!    is repeated until the priority is exhausted. The effective weight of a
//!    record of weight `w` is
//!    - `100 × w` when `w > 0`,
//!    - `1` when `w = 0`.
//!
//!    So in a priority whose positive weights sum to `S` and which holds `z`
//!    weight-0 records, each weight-0 record is drawn first with probability
//!    `1 / (100 × S + z)`: small but never zero, as RFC 2782 asks. When every
//!    weight of a priority is 0, all its targets have effective weight 1 and
//!    are equally likely.
//!
//! # Difference from the RFC 2782 pseudo-algorithm
//!
//! The RFC's recipe (weight-0 records first, running sums, a number drawn
//! from the *inclusive* range `[0, S]`, the first record whose running sum is
//! `≥` it) is not proportional: the draw has `S + 1` outcomes, and the extra
//! one goes to the first record. Two records of weight 1 then come first 2/3
//! and 1/3 of the time, and a weight-0 record gets `1 / (S + 1)`, which is
//! large for small `S`. Here the draw is a `u64` from `[0, T)`, where `T` is
//! the sum of the remaining effective weights, and the chosen record is the
//! first whose running sum is `> r`: each record owns exactly as many
//! outcomes as its effective weight. (`rand`'s `random_range` itself may be
//! biased in at most 1 of 2^64 draws, see `rand::distr::uniform`.)
//!
//! # Randomness and determinism
//!
//! Every function that draws takes the random number generator as a
//! parameter, so a seeded generator gives reproducible results. No draw is
//! made for a priority that has a single target left. Records of equal
//! priority keep their input order for the running sums, which makes [`pick`]
//! agree with [`order`]: given two identically seeded generators,
//! `pick(targets, &mut a)` chooses the same record as the first element of
//! `order(targets, &mut b)`.
//!
//! # Cost
//!
//! [`order`] takes `O(n log n)` time (a stable sort, then `O(log k)` per draw
//! in a priority of `k` targets) and allocates the result plus one buffer.
//! [`pick`] and [`expected_shares`] take `O(n)` time; [`pick`] does not
//! allocate. No input makes them panic: weights are summed in `u64`, whose
//! range is only exceeded beyond 2^42 records of weight 65535.
//!
//! # Examples
//!
//! ```
//! use dns_core::Srv;
//! use dns_sd_client::select::{Order, Selection, expected_shares, order, pick};
//! use rand::SeedableRng;
//! use rand::rngs::StdRng;
//!
//! let srv = |s: &str| s.parse::<Srv>().expect("valid SRV data");
//! let records = [
//!     srv("10 60 443 a.example.com."),
//!     srv("10 20 443 b.example.com."),
//!     srv("10 0 443 c.example.com."),
//!     srv("20 5 443 backup.example.com."),
//! ];
//!
//! let mut rng = StdRng::seed_from_u64(2782);
//! let Order::Targets(list) = order(&records, &mut rng) else {
//!     panic!("there are usable targets");
//! };
//! // All four, priority 10 first; the backup is always last.
//! assert_eq!(list.len(), 4);
//! assert_eq!(list[3].target.to_string(), "backup.example.com.");
//!
//! // pick() draws like the first step of order().
//! let (mut a, mut b) = (StdRng::seed_from_u64(1), StdRng::seed_from_u64(1));
//! let first = order(&records, &mut a).into_vec()[0];
//! assert_eq!(pick(&records, &mut b), Selection::Target(first));
//!
//! // 6000 : 2000 : 1 among priority 10, nothing for the backup.
//! let shares = expected_shares(&records);
//! assert_eq!(shares[0], 6000.0 / 8001.0);
//! assert_eq!(shares[2], 1.0 / 8001.0);
//! assert_eq!(shares[3], 0.0);
//! ```
//!
//! "." records:
//!
//! ```
//! use dns_core::Srv;
//! use dns_sd_client::select::{Order, Selection, expected_shares, order, pick};
//! use rand::SeedableRng;
//! use rand::rngs::StdRng;
//!
//! let mut rng = StdRng::seed_from_u64(0);
//! let none: [Srv; 0] = [];
//! assert_eq!(pick(&none, &mut rng), Selection::NoTargets);
//! assert_eq!(order(&none, &mut rng), Order::NoTargets);
//!
//! let dot: [Srv; 1] = ["0 0 0 .".parse().expect("valid SRV data")];
//! assert_eq!(pick(&dot, &mut rng), Selection::Unavailable);
//! assert_eq!(order(&dot, &mut rng), Order::Unavailable);
//!
//! // Next to a real target, "." is ignored (even at a lower priority).
//! let mixed: [Srv; 2] = [
//!     "0 0 0 .".parse().expect("valid SRV data"),
//!     "5 1 80 www.example.com.".parse().expect("valid SRV data"),
//! ];
//! assert_eq!(pick(&mixed, &mut rng), Selection::Target(&mixed[1]));
//! assert_eq!(expected_shares(&mixed), [0.0, 1.0]);
//! ```

use dns_core::Srv;
use rand::{Rng, RngExt};

/// What selection needs from a target: its SRV data.
///
/// Implemented for [`Srv`] itself and for references to any implementor, so
/// a `&[&Srv]` can be ordered as well as a `&[Srv]`.
pub trait SrvRecord {
    /// The SRV data (priority, weight, port, target).
    fn srv(&self) -> &Srv;
}

impl SrvRecord for Srv {
    fn srv(&self) -> &Srv {
        self
    }
}

impl<T: SrvRecord + ?Sized> SrvRecord for &T {
    fn srv(&self) -> &Srv {
        (**self).srv()
    }
}

/// The outcome of [`pick`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection<'a, T> {
    /// The chosen target.
    Target(&'a T),
    /// The only SRV records are "." targets: the service is deliberately unavailable.
    Unavailable,
    /// There are no SRV records at all.
    NoTargets,
}

impl<'a, T> Selection<'a, T> {
    /// The chosen target, or `None` for [`Unavailable`](Self::Unavailable)
    /// and [`NoTargets`](Self::NoTargets).
    pub fn target(&self) -> Option<&'a T> {
        match *self {
            Self::Target(target) => Some(target),
            Self::Unavailable | Self::NoTargets => None,
        }
    }
}

/// The outcome of [`order`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Order<'a, T> {
    /// Every usable target, in the order to try them.
    Targets(Vec<&'a T>),
    /// The only SRV records are "." targets: the service is deliberately unavailable.
    Unavailable,
    /// There are no SRV records at all.
    NoTargets,
}

impl<'a, T> Order<'a, T> {
    /// The targets in the order to try them; empty for
    /// [`Unavailable`](Self::Unavailable) and [`NoTargets`](Self::NoTargets).
    pub fn as_slice(&self) -> &[&'a T] {
        match self {
            Self::Targets(targets) => targets,
            Self::Unavailable | Self::NoTargets => &[],
        }
    }

    /// Iterates over the targets in the order to try them (none for
    /// [`Unavailable`](Self::Unavailable) and [`NoTargets`](Self::NoTargets)).
    pub fn iter(&self) -> impl Iterator<Item = &'a T> {
        self.as_slice().iter().copied()
    }

    /// The targets in the order to try them; empty for
    /// [`Unavailable`](Self::Unavailable) and [`NoTargets`](Self::NoTargets).
    pub fn into_vec(self) -> Vec<&'a T> {
        match self {
            Self::Targets(targets) => targets,
            Self::Unavailable | Self::NoTargets => Vec::new(),
        }
    }
}

/// How much more a weight-1 record counts than a weight-0 one.
///
/// RFC 2782 wants weight-0 records to have "a very small chance" when others
/// have positive weight; scaling positive weights keeps that chance nonzero
/// while staying exactly proportional among the positive weights.
const WEIGHT_SCALE: u64 = 100;

fn effective_weight(srv: &Srv) -> u64 {
    if srv.weight == 0 {
        1
    } else {
        u64::from(srv.weight) * WEIGHT_SCALE
    }
}

/// One RFC 2782 fail-over order: every usable target, lowest priority first,
/// weighted-random within a priority (see the [module docs](self)).
///
/// ```
/// use dns_core::Srv;
/// use dns_sd_client::select::order;
/// use rand::SeedableRng;
/// use rand::rngs::StdRng;
///
/// let records: Vec<Srv> = ["1 0 80 spare.example.", "0 3 80 a.example.", "0 1 80 b.example."]
///     .iter()
///     .map(|s| s.parse().expect("valid SRV data"))
///     .collect();
/// let list = order(&records, &mut StdRng::seed_from_u64(9)).into_vec();
/// let priorities: Vec<u16> = list.iter().map(|srv| srv.priority).collect();
/// assert_eq!(priorities, [0, 0, 1]);
/// ```
pub fn order<'a, T: SrvRecord, R: Rng + ?Sized>(targets: &'a [T], rng: &mut R) -> Order<'a, T> {
    let mut usable: Vec<&'a T> = targets
        .iter()
        .filter(|t| !t.srv().is_unavailable())
        .collect();
    if usable.is_empty() {
        // Nothing usable in a non-empty input: every record was ".".
        return if targets.is_empty() {
            Order::NoTargets
        } else {
            Order::Unavailable
        };
    }
    // Stable, so records of one priority keep their input order: that is
    // what makes `pick` agree with the first step of `order`.
    usable.sort_by_key(|t| t.srv().priority);

    let mut out = Vec::with_capacity(usable.len());
    let mut tree = WeightTree::default();
    for group in usable.chunk_by(|a, b| a.srv().priority == b.srv().priority) {
        tree.rebuild(group.iter().map(|t| effective_weight(t.srv())));
        for remaining in (1..=group.len()).rev() {
            let r = draw(rng, remaining, tree.total);
            let index = tree.find(r);
            let Some(&chosen) = group.get(index) else {
                // `find` stays within the group for r < total.
                break;
            };
            tree.remove(index, effective_weight(chosen.srv()));
            out.push(chosen);
        }
    }
    Order::Targets(out)
}

/// One RFC 2782 pick: the target to try first.
///
/// Chooses like the first step of [`order`] (the same record for an
/// identically seeded generator) in one pass and without allocating.
///
/// ```
/// use dns_core::Srv;
/// use dns_sd_client::select::pick;
/// use rand::SeedableRng;
/// use rand::rngs::StdRng;
///
/// let records: Vec<Srv> = ["1 0 80 spare.example.", "0 3 80 a.example.", "0 1 80 b.example."]
///     .iter()
///     .map(|s| s.parse().expect("valid SRV data"))
///     .collect();
/// let chosen = pick(&records, &mut StdRng::seed_from_u64(9)).target().expect("usable");
/// assert_eq!(chosen.priority, 0);
/// ```
pub fn pick<'a, T: SrvRecord, R: Rng + ?Sized>(targets: &'a [T], rng: &mut R) -> Selection<'a, T> {
    let Some(group) = LowestGroup::of(targets) else {
        return if targets.is_empty() {
            Selection::NoTargets
        } else {
            Selection::Unavailable
        };
    };
    let r = draw(rng, group.count, group.total);
    let mut running = 0;
    let mut chosen = None;
    for target in targets.iter().filter(|t| group.contains(t.srv())) {
        chosen = Some(target);
        running += effective_weight(target.srv());
        if running > r {
            break;
        }
    }
    // `chosen` is always set: the group has at least one member.
    chosen.map_or(Selection::NoTargets, Selection::Target)
}

/// The exact probability that [`pick`] (and the first step of [`order`])
/// chooses each target, at the same index as in `targets`.
///
/// "." records and records outside the lowest usable priority get 0. The
/// shares sum to 1 (up to rounding) when there is a usable target; they are
/// all 0 otherwise.
///
/// ```
/// use dns_core::Srv;
/// use dns_sd_client::select::expected_shares;
///
/// let records: Vec<Srv> = ["0 1 80 a.example.", "0 3 80 b.example.", "1 9 80 c.example."]
///     .iter()
///     .map(|s| s.parse().expect("valid SRV data"))
///     .collect();
/// assert_eq!(expected_shares(&records), [0.25, 0.75, 0.0]);
/// ```
pub fn expected_shares<T: SrvRecord>(targets: &[T]) -> Vec<f64> {
    let Some(group) = LowestGroup::of(targets) else {
        return vec![0.0; targets.len()];
    };
    let total = group.total as f64;
    targets
        .iter()
        .map(|t| {
            let srv = t.srv();
            if group.contains(srv) {
                effective_weight(srv) as f64 / total
            } else {
                0.0
            }
        })
        .collect()
}

/// A uniform draw from `[0, total)`, skipped when only one candidate is left
/// so that a lone target costs no randomness.
fn draw<R: Rng + ?Sized>(rng: &mut R, candidates: usize, total: u64) -> u64 {
    if candidates <= 1 || total == 0 {
        0
    } else {
        rng.random_range(0..total)
    }
}

/// The usable records of the lowest priority, summarised.
#[derive(Debug)]
struct LowestGroup {
    priority: u16,
    total: u64,
    count: usize,
}

impl LowestGroup {
    fn of<T: SrvRecord>(targets: &[T]) -> Option<Self> {
        let mut lowest: Option<Self> = None;
        for srv in targets
            .iter()
            .map(SrvRecord::srv)
            .filter(|srv| !srv.is_unavailable())
        {
            match &mut lowest {
                Some(group) if group.priority < srv.priority => {}
                Some(group) if group.priority == srv.priority => {
                    group.total += effective_weight(srv);
                    group.count += 1;
                }
                _ => {
                    lowest = Some(Self {
                        priority: srv.priority,
                        total: effective_weight(srv),
                        count: 1,
                    });
                }
            }
        }
        lowest
    }

    fn contains(&self, srv: &Srv) -> bool {
        srv.priority == self.priority && !srv.is_unavailable()
    }
}

/// A Fenwick (binary indexed) tree over the effective weights of one
/// priority, so that each draw without replacement costs `O(log k)` instead
/// of a linear rescan: a priority may hold thousands of targets.
#[derive(Debug, Default)]
struct WeightTree {
    /// 1-based: `nodes[i]` holds the sum of the `i & -i` weights ending at
    /// position `i`; `nodes[0]` is unused.
    nodes: Vec<u64>,
    /// The sum of the weights not yet removed.
    total: u64,
}

impl WeightTree {
    fn rebuild(&mut self, weights: impl Iterator<Item = u64>) {
        self.nodes.clear();
        self.nodes.push(0);
        self.nodes.extend(weights);
        self.total = self.nodes.iter().sum();
        let len = self.nodes.len();
        for i in 1..len {
            let parent = i + lowest_bit(i);
            if parent < len {
                self.nodes[parent] += self.nodes[i];
            }
        }
    }

    /// The 0-based index of the first weight whose running sum exceeds `r`,
    /// for `r < total`. Removed weights are 0, so they are never found.
    fn find(&self, r: u64) -> usize {
        let len = self.nodes.len() - 1;
        if len == 0 {
            return 0;
        }
        let mut pos = 0;
        let mut rest = r;
        let mut step = 1_usize << len.ilog2();
        while step > 0 {
            let next = pos + step;
            if next <= len && self.nodes[next] <= rest {
                pos = next;
                rest -= self.nodes[next];
            }
            step >>= 1;
        }
        // `pos` weights have running sum <= r, so the next one is chosen.
        pos
    }

    /// Sets the weight at 0-based `index` (currently `weight`) to 0.
    fn remove(&mut self, index: usize, weight: u64) {
        let len = self.nodes.len();
        let mut i = index + 1;
        while i < len {
            self.nodes[i] -= weight;
            i += lowest_bit(i);
        }
        self.total -= weight;
    }
}

fn lowest_bit(i: usize) -> usize {
    i & i.wrapping_neg()
}

#[cfg(test)]
mod tests {
    use dns_core::Name;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    fn srv(priority: u16, weight: u16, host: &str) -> Srv {
        Srv::new(priority, weight, 80, Name::parse(host).expect("valid name"))
    }

    fn dot() -> Srv {
        Srv::new(0, 0, 0, Name::root())
    }

    /// The reference the tree must agree with: a linear scan.
    fn linear_find(weights: &[u64], r: u64) -> usize {
        let mut running = 0;
        for (i, w) in weights.iter().enumerate() {
            running += w;
            if running > r {
                return i;
            }
        }
        panic!("r {r} beyond total {running}");
    }

    #[test]
    fn effective_weights_scale_positive_and_keep_zero_small() {
        assert_eq!(effective_weight(&srv(0, 0, "a.")), 1);
        assert_eq!(effective_weight(&srv(0, 1, "a.")), 100);
        assert_eq!(effective_weight(&srv(0, 65535, "a.")), 6_553_500);
    }

    #[test]
    fn tree_find_matches_linear_scan_for_every_draw() {
        let cases: [&[u64]; 6] = [
            &[5],
            &[1, 1],
            &[0, 3, 0, 2],
            &[100, 1, 1, 700, 200, 1, 5],
            &[1; 13],
            &[7, 0, 0, 0, 0, 0, 0, 0, 9],
        ];
        for weights in cases {
            let mut tree = WeightTree::default();
            tree.rebuild(weights.iter().copied());
            assert_eq!(tree.total, weights.iter().sum::<u64>());
            for r in 0..tree.total {
                assert_eq!(tree.find(r), linear_find(weights, r), "{weights:?} r={r}");
            }
        }
    }

    #[test]
    fn tree_removal_leaves_the_rest_in_place() {
        let mut weights = vec![3_u64, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5];
        let mut tree = WeightTree::default();
        tree.rebuild(weights.iter().copied());
        for index in [5, 0, 10, 7, 2] {
            tree.remove(index, weights[index]);
            weights[index] = 0;
            assert_eq!(tree.total, weights.iter().sum::<u64>());
            for r in 0..tree.total {
                assert_eq!(tree.find(r), linear_find(&weights, r), "{weights:?} r={r}");
            }
        }
    }

    #[test]
    fn tree_is_reusable_across_groups() {
        let mut tree = WeightTree::default();
        tree.rebuild([9_u64, 9, 9, 9, 9].into_iter());
        tree.rebuild([1_u64, 2].into_iter());
        assert_eq!(tree.total, 3);
        assert_eq!((tree.find(0), tree.find(1), tree.find(2)), (0, 1, 1));
    }

    #[test]
    fn lowest_group_skips_dots_and_higher_priorities() {
        let records = [srv(3, 1, "a."), dot(), srv(2, 0, "b."), srv(2, 5, "c.")];
        let group = LowestGroup::of(&records).expect("usable records");
        assert_eq!((group.priority, group.total, group.count), (2, 501, 2));
        assert!(LowestGroup::of(&[dot(), dot()]).is_none());
        assert!(LowestGroup::of::<Srv>(&[]).is_none());
    }

    #[test]
    fn lone_target_draws_nothing() {
        let records = [srv(0, 10, "a."), srv(1, 10, "b."), dot()];
        let mut used = StdRng::seed_from_u64(5);
        let mut fresh = StdRng::seed_from_u64(5);
        assert_eq!(pick(&records, &mut used), Selection::Target(&records[0]));
        assert_eq!(
            order(&records, &mut used).into_vec(),
            [&records[0], &records[1]]
        );
        assert_eq!(used.next_u64(), fresh.next_u64());
    }

    #[test]
    fn pick_agrees_with_first_of_order() {
        let records = [
            srv(1, 0, "z."),
            srv(0, 10, "a."),
            dot(),
            srv(0, 0, "b."),
            srv(0, 30, "c."),
            srv(0, 30, "c."),
        ];
        for seed in 0..200 {
            let list = order(&records, &mut StdRng::seed_from_u64(seed)).into_vec();
            let chosen = pick(&records, &mut StdRng::seed_from_u64(seed)).target();
            assert!(
                std::ptr::eq(list[0], chosen.expect("usable")),
                "seed {seed}"
            );
        }
    }

    #[test]
    fn accessors() {
        let records = [srv(0, 1, "a."), srv(0, 1, "b.")];
        let chosen: Selection<'_, Srv> = Selection::Target(&records[1]);
        assert_eq!(chosen.target(), Some(&records[1]));
        assert_eq!(Selection::<Srv>::Unavailable.target(), None);
        assert_eq!(Selection::<Srv>::NoTargets.target(), None);

        let list = Order::Targets(vec![&records[1], &records[0]]);
        assert_eq!(list.as_slice(), [&records[1], &records[0]]);
        assert_eq!(list.iter().collect::<Vec<_>>(), [&records[1], &records[0]]);
        assert_eq!(list.into_vec(), [&records[1], &records[0]]);
        assert!(Order::<Srv>::Unavailable.as_slice().is_empty());
        assert_eq!(Order::<Srv>::NoTargets.iter().count(), 0);
        assert!(Order::<Srv>::NoTargets.into_vec().is_empty());
    }

    #[test]
    fn references_are_records_too() {
        let records = [srv(0, 1, "a."), srv(1, 1, "b.")];
        let refs: Vec<&Srv> = records.iter().rev().collect();
        let chosen = pick(&refs, &mut StdRng::seed_from_u64(0)).target();
        assert_eq!(chosen.copied(), Some(&records[0]));
        assert_eq!(expected_shares(&refs), [0.0, 1.0]);
    }
}
