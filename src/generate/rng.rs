//! SplitMix64, the pseudo-random number generator behind the task generator.
//!
//! The algorithm is Steele, Lea and Flood's SplitMix64 (OOPSLA 2014) as in Sebastiano Vigna's
//! public-domain C version `splitmix64.c`. It is written here rather than taken from a crate
//! because the generated data must never change with a dependency update. Only wrapping `u64`
//! arithmetic and a `u128` product are used, so the sequence is the same on every platform.

/// The increment of the SplitMix64 state: 2^64 divided by the golden ratio, made odd.
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// A SplitMix64 generator: a 64-bit counter passed through a bijective mixing function.
#[derive(Clone, Debug)]
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// Creates a generator whose first output is the SplitMix64 output after `state`.
    pub(crate) fn new(state: u64) -> SplitMix64 {
        SplitMix64 { state }
    }

    /// Creates the generator of one task, so that a task's values depend only on the seed
    /// and its index, not on how many draws earlier tasks made.
    ///
    /// `mix` is a bijection, so distinct indices under one seed get distinct start states.
    pub(crate) fn for_task(seed: u64, index: u64) -> SplitMix64 {
        let index_key = mix(index.wrapping_add(1).wrapping_mul(GOLDEN_GAMMA));
        SplitMix64::new(mix(seed ^ index_key))
    }

    /// Returns the next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        mix(self.state)
    }

    /// Returns a value in `0..bound`, or 0 when `bound` is 0.
    ///
    /// This is Lemire's multiply-shift reduction without the rejection step. Its bias is at
    /// most `bound / 2^64`, far below anything the tests or the data can show.
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// Returns a value in `low..=high`. The caller keeps `low <= high`.
    pub(crate) fn between(&mut self, low: i64, high: i64) -> i64 {
        let span = high.abs_diff(low).saturating_add(1);
        low.wrapping_add(self.below(span) as i64)
    }

    /// Returns true with probability `per_mille / 1000`.
    pub(crate) fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// Returns one element of a non-empty slice, each equally likely.
    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// Returns a value in `0..bound` that is more often small than large: the density falls
    /// off roughly like `ln(bound / x)`, as queue waits and run times do in practice.
    pub(crate) fn skewed_below(&mut self, bound: u64) -> u64 {
        let inner_bound = self.below(bound) + 1;
        self.below(inner_bound)
    }
}

/// The SplitMix64 output function (the finalizer of MurmurHash3 with Stafford's "Mix13"
/// constants). It is a bijection on `u64`.
fn mix(value: u64) -> u64 {
    let mut z = value;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_reference_outputs() {
        // The first outputs of the reference C code `splitmix64.c` with the state set to 0.
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(rng.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = SplitMix64::new(7);
        for bound in [1, 2, 3, 10, 1000, u64::MAX] {
            for _ in 0..1000 {
                assert!(rng.below(bound) < bound);
            }
        }
        assert_eq!(rng.below(0), 0);
    }

    #[test]
    fn between_is_inclusive() {
        let mut rng = SplitMix64::new(11);
        let mut seen = [false; 5];
        for _ in 0..1000 {
            let value = rng.between(-2, 2);
            assert!((-2..=2).contains(&value));
            seen[(value + 2) as usize] = true;
        }
        assert_eq!(seen, [true; 5]);
    }

    #[test]
    fn task_streams_differ_by_index_and_seed() {
        let first = SplitMix64::for_task(0, 0).next_u64();
        assert_ne!(first, SplitMix64::for_task(0, 1).next_u64());
        assert_ne!(first, SplitMix64::for_task(1, 0).next_u64());
        assert_eq!(first, SplitMix64::for_task(0, 0).next_u64());
    }
}
