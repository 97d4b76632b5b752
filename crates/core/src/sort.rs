//! A heapsort for the snapshot checks.
//!
//! core's `sort_unstable` (pattern-defeating quicksort with its small-sort and fallback
//! helpers) is ~2.5 KB of wasm per element type. The snapshot checks sort two types (key
//! references and table names) only to find duplicates, never the costly part of a
//! restore, so a heapsort — O(n log n) always, a few hundred bytes — does. Writing a table
//! to ext keeps core's sort: with this one, a 100k-key write took 10–15% longer. Input
//! already in order costs one pass.

/// Sorts `v` so that no element is `less` than the one before it.
pub(crate) fn sort_by<T>(v: &mut [T], less: impl Fn(&T, &T) -> bool) {
    if v.windows(2).all(|w| !less(&w[1], &w[0])) {
        return;
    }
    let n = v.len();
    for root in (0..n / 2).rev() {
        sift_down(v, root, n, &less);
    }
    for end in (1..n).rev() {
        v.swap(0, end);
        sift_down(v, 0, end, &less);
    }
}

/// Restores the max-heap property below `root` within `v[..end]`.
fn sift_down<T>(v: &mut [T], mut root: usize, end: usize, less: &impl Fn(&T, &T) -> bool) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && less(&v[child], &v[child + 1]) {
            child += 1;
        }
        if !less(&v[root], &v[child]) {
            return;
        }
        v.swap(root, child);
        root = child;
    }
}

#[cfg(test)]
mod tests {
    use super::sort_by;

    /// A small deterministic generator (no dependency for one test).
    fn numbers(seed: u64, n: usize, range: u64) -> Vec<u64> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x % range
            })
            .collect()
    }

    #[test]
    fn sorts_like_std_on_random_sorted_reversed_and_duplicate_heavy_input() {
        for (seed, n, range) in [(1, 0, 10), (2, 1, 10), (3, 2, 10), (4, 1000, 1 << 40), (5, 1000, 3), (6, 4097, 1000)] {
            let base = numbers(seed, n, range);
            let mut inputs = vec![base.clone()];
            let mut sorted = base.clone();
            sorted.sort_unstable();
            inputs.push(sorted.clone());
            inputs.push(sorted.iter().rev().copied().collect());
            for mut v in inputs {
                sort_by(&mut v, |a, b| a < b);
                assert_eq!(v, sorted, "seed {seed}, n {n}");
            }
        }
    }

    #[test]
    fn follows_the_given_order() {
        let mut v = vec!["b", "a", "c", "a"];
        sort_by(&mut v, |a, b| a > b);
        assert_eq!(v, ["c", "b", "a", "a"]);
    }
}
