//! One copy of a sort for the store's few lists (file names, quarantine entries, sessions).
//!
//! `slice::sort` is generic: each element type gets its own copy of the sort, about 4 KiB of
//! code each in a size-optimised build. The store sorts only at recovery, at trimming and in
//! listings, lists of at most a few thousand entries, so it sorts their indices instead,
//! through one non-generic function, and pays an index indirection per comparison.

use std::cmp::Ordering;

/// Sorts `v` by `cmp`, stably (as `slice::sort_by`).
pub(crate) fn sort_by<T>(v: &mut Vec<T>, mut cmp: impl FnMut(&T, &T) -> Ordering) {
    let mut order: Vec<usize> = (0..v.len()).collect();
    let items = &*v;
    sort_indices(&mut order, &mut |a, b| cmp(&items[a], &items[b]));
    let mut slots: Vec<Option<T>> = std::mem::take(v).into_iter().map(Some).collect();
    v.extend(order.iter().filter_map(|&i| slots[i].take()));
}

/// Sorts `v` by its order, stably (as `slice::sort`).
pub(crate) fn sort<T: Ord>(v: &mut Vec<T>) {
    sort_by(v, T::cmp);
}

/// The one instantiation of std's stable sort: indices under a comparator behind a pointer.
#[inline(never)]
fn sort_indices(order: &mut [usize], cmp: &mut dyn FnMut(usize, usize) -> Ordering) {
    order.sort_by(|a, b| cmp(*a, *b));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_as_std_does_and_keeps_equal_elements_in_order() {
        let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
        for len in [0, 1, 2, 3, 7, 20, 33, 200, 1000] {
            let v: Vec<(u8, usize)> = (0..len)
                .map(|i| {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    ((rng % 5) as u8, i)
                })
                .collect();
            let (mut ours, mut std) = (v.clone(), v.clone());
            // Keyed on the first field only: equal keys must keep their input order.
            sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
            std.sort_by_key(|a| a.0);
            assert_eq!(ours, std, "length {len}");
        }
        let mut names = vec!["b.seg".to_owned(), "a.ready".into(), "a.seg".into(), "a.ready".into()];
        sort(&mut names);
        assert_eq!(names, ["a.ready", "a.ready", "a.seg", "b.seg"]);
    }
}
