//! The crate's one union–find over dense `u32` indices: path halving, and
//! union by smaller root, so the root of a set is its smallest member
//! (prospect clusters are named by their smallest record).

/// Disjoint sets of `0..n`.
#[derive(Debug, Clone)]
pub(crate) struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    /// `n` singletons.
    pub(crate) fn new(n: usize) -> Self {
        Self {
            parent: (0..n as u32).collect(),
        }
    }

    /// The root (smallest member) of `x`'s set; `x` itself when out of
    /// range.
    pub(crate) fn find(&mut self, mut x: u32) -> u32 {
        while let Some(&p) = self.parent.get(x as usize) {
            if p == x {
                break;
            }
            // invariant: every parent is an index of `parent`.
            #[allow(clippy::indexing_slicing)]
            let gp = self.parent[p as usize];
            debug_assert!((gp as usize) < self.parent.len());
            #[allow(clippy::indexing_slicing)]
            {
                self.parent[x as usize] = gp;
            }
            x = gp;
        }
        x
    }

    /// Joins the sets of the roots `ra` and `rb` (as returned by
    /// [`Self::find`]): the smaller root becomes the root of both.
    pub(crate) fn link_roots(&mut self, ra: u32, rb: u32) {
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        if let Some(slot) = self.parent.get_mut(hi as usize) {
            *slot = lo;
        }
    }

    /// Joins the sets of `a` and `b`.
    pub(crate) fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.link_roots(ra, rb);
        }
    }

    /// Adds a singleton and returns it.
    pub(crate) fn push(&mut self) -> u32 {
        let x = self.parent.len() as u32;
        self.parent.push(x);
        x
    }

    /// The root of `x` without compressing paths (for `&self` queries);
    /// `x` itself when out of range.
    pub(crate) fn root_of(&self, mut x: u32) -> u32 {
        while let Some(&p) = self.parent.get(x as usize) {
            if p == x {
                break;
            }
            x = p;
        }
        x
    }

    /// Hangs the root `gone` under the root `keep`, for callers that
    /// choose the surviving root themselves (union by size).
    pub(crate) fn attach(&mut self, gone: u32, keep: u32) {
        debug_assert_eq!(self.root_of(gone), gone);
        if let Some(slot) = self.parent.get_mut(gone as usize) {
            *slot = keep;
        }
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.parent.capacity() * std::mem::size_of::<u32>()
    }

    /// Every element's root, in element order.
    pub(crate) fn roots(&mut self) -> Vec<u32> {
        (0..self.parent.len() as u32)
            .map(|i| self.find(i))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_are_smallest_members() {
        let mut uf = UnionFind::new(6);
        uf.union(4, 2);
        uf.union(5, 4);
        uf.union(1, 3);
        assert_eq!(uf.roots(), vec![0, 1, 2, 1, 2, 2]);
    }

    #[test]
    fn chosen_roots_and_growth() {
        let mut uf = UnionFind::new(2);
        assert_eq!(uf.push(), 2);
        uf.attach(0, 2);
        assert_eq!(uf.root_of(0), 2);
        assert_eq!(uf.root_of(1), 1);
        assert_eq!(uf.root_of(9), 9);
        assert!(uf.heap_bytes() >= 12);
    }
}
