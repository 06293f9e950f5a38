//! Clustering linked pairs into a partition without chaining.
//!
//! Plain transitive closure joins `A` and `C` whenever `A–B` and `B–C`
//! link, however different `A` and `C` are. Instead, links are merged
//! greedily from the strongest down (ties by record order), and two
//! clusters merge only when
//! * no record of one conflicts with a record of the other (an identity
//!   field at a conflicting level: two different person names), and
//! * the merged cluster stays within the size guard.
//!
//! The result depends only on the set of links and their weights, so it
//! is the same for any input order and thread count.

use crate::union_find::UnionFind;

/// A scored link between records `a < b`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Link {
    pub(crate) a: u32,
    pub(crate) b: u32,
    pub(crate) weight: f64,
}

/// What clustering did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ClusterStats {
    pub(crate) merges: u64,
    pub(crate) refused_conflict: u64,
    pub(crate) refused_size: u64,
}

/// Clusters `n` records from `links` (sorted here); `conflict(x, y)` says
/// whether two records must stay apart. Returns each record's cluster
/// root: the smallest record index of its cluster.
pub(crate) fn cluster(
    n: usize,
    links: &mut [Link],
    max_size: usize,
    mut conflict: impl FnMut(u32, u32) -> bool,
) -> (Vec<u32>, ClusterStats) {
    links.sort_unstable_by(|x, y| {
        y.weight
            .total_cmp(&x.weight)
            .then(x.a.cmp(&y.a))
            .then(x.b.cmp(&y.b))
    });
    let mut sets = UnionFind::new(n);
    // Members of each non-singleton cluster, kept at its root.
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut stats = ClusterStats::default();
    for link in links.iter() {
        let (ra, rb) = (sets.find(link.a), sets.find(link.b));
        if ra == rb {
            continue;
        }
        // Both sides' members, borrowed (a lone record is its own list):
        // nothing is copied for the many links that are refused or join
        // records already together.
        let (one_a, one_b) = ([ra], [rb]);
        let ma = members_of(&members, ra, &one_a);
        let mb = members_of(&members, rb, &one_b);
        if ma.len() + mb.len() > max_size {
            stats.refused_size += 1;
            continue;
        }
        if ma.iter().any(|&x| mb.iter().any(|&y| conflict(x, y))) {
            stats.refused_conflict += 1;
            continue;
        }
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        sets.link_roots(lo, hi);
        let mut merged = take_members(&mut members, lo);
        merged.append(&mut take_members(&mut members, hi));
        if let Some(m) = members.get_mut(lo as usize) {
            *m = merged;
        }
        stats.merges += 1;
    }
    (sets.roots(), stats)
}

/// The members of the cluster rooted at `r`: its list, or `alone` (`[r]`)
/// for a record not yet merged.
fn members_of<'a>(members: &'a [Vec<u32>], r: u32, alone: &'a [u32]) -> &'a [u32] {
    match members.get(r as usize) {
        Some(m) if !m.is_empty() => m,
        _ => alone,
    }
}

/// The members of the cluster rooted at `r`, moved out of its slot.
fn take_members(members: &mut [Vec<u32>], r: u32) -> Vec<u32> {
    match members.get_mut(r as usize) {
        Some(m) if !m.is_empty() => std::mem::take(m),
        _ => vec![r],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflicts_stop_chaining() {
        // 0–1 strong, 1–2 weaker, 0 and 2 conflict: 2 stays alone.
        let mut links = vec![
            Link {
                a: 1,
                b: 2,
                weight: 5.0,
            },
            Link {
                a: 0,
                b: 1,
                weight: 9.0,
            },
        ];
        let (roots, stats) = cluster(3, &mut links, 10, |x, y| {
            (x, y) == (0, 2) || (x, y) == (2, 0)
        });
        assert_eq!(roots, vec![0, 0, 2]);
        assert_eq!(stats.refused_conflict, 1);
    }

    #[test]
    fn size_guard() {
        let mut links: Vec<Link> = (1..10)
            .map(|b| Link {
                a: 0,
                b,
                weight: 1.0,
            })
            .collect();
        let (roots, stats) = cluster(10, &mut links, 4, |_, _| false);
        assert_eq!(roots.iter().filter(|&&r| r == 0).count(), 4);
        assert_eq!(stats.refused_size, 6);
    }
}
