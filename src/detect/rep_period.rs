//! [`RepPeriod`]: one value per (rep, period), dense or sparse.

use std::sync::OnceLock;

/// A table of one value per (rep, period).
///
/// Stored densely while `reps × periods` is small next to the records;
/// otherwise ([`DetectContext::rep_period`] decides) only the cells that
/// were written are stored, each rep's in a map ordered by period, so a
/// ledger whose reps each work on days of their own costs memory in
/// proportion to its records, not to reps × periods. A cell never written
/// reads as the table's fill value (`T::default()`, or its image under
/// [`RepPeriod::map`]) either way.
#[derive(Debug, Clone)]
pub(crate) struct RepPeriod<T> {
    periods: usize,
    cells: Cells<T>,
    /// What a cell that is not stored holds.
    fill: T,
    /// Each rep's `Some` values sorted (for [`DetectContext::own_median`]),
    /// computed on first use and dropped by [`RepPeriod::get_mut`].
    sorted_rows: OnceLock<Vec<Vec<f64>>>,
    /// Each period's reps with a `Some` value, in rep order (for
    /// [`DetectContext::peer_values`]), computed on first use and dropped
    /// by [`RepPeriod::get_mut`].
    columns: OnceLock<Vec<Vec<u32>>>,
}

/// The storage of a [`RepPeriod`].
#[derive(Debug, Clone, PartialEq)]
enum Cells<T> {
    /// `reps × periods` values, rep-major.
    Dense(Vec<T>),
    /// Per rep, the written cells by period.
    Sparse(Vec<std::collections::BTreeMap<u32, T>>),
}

impl<T: PartialEq> PartialEq for RepPeriod<T> {
    /// Equal storage and fill (the caches do not count).
    fn eq(&self, other: &Self) -> bool {
        self.periods == other.periods && self.fill == other.fill && self.cells == other.cells
    }
}

impl<T: Clone + Default> Default for RepPeriod<T> {
    /// A table of no reps and no periods.
    fn default() -> Self {
        Self::new(0, 0)
    }
}

impl<T: Clone + Default> RepPeriod<T> {
    /// `reps × periods` default values, stored densely.
    pub(crate) fn new(reps: usize, periods: usize) -> Self {
        Self::with_cells(periods, Cells::Dense(vec![T::default(); reps * periods]))
    }

    /// `reps × periods` default values of which only the written cells
    /// are stored.
    pub(crate) fn sparse(reps: usize, periods: usize) -> Self {
        Self::with_cells(periods, Cells::Sparse(vec![Default::default(); reps]))
    }

    /// A dense table of `data`, rep-major (`reps × periods` values).
    pub(crate) fn from_dense(periods: usize, data: Vec<T>) -> Self {
        debug_assert!(periods == 0 || data.len().is_multiple_of(periods));
        Self::with_cells(periods, Cells::Dense(data))
    }

    fn with_cells(periods: usize, cells: Cells<T>) -> Self {
        Self {
            periods,
            cells,
            fill: T::default(),
            sorted_rows: OnceLock::new(),
            columns: OnceLock::new(),
        }
    }

    /// The number of reps.
    fn reps(&self) -> usize {
        match &self.cells {
            Cells::Dense(data) => data.len().checked_div(self.periods).unwrap_or(0),
            Cells::Sparse(rows) => rows.len(),
        }
    }

    /// The value of (`rep`, `period`).
    pub(crate) fn get(&self, rep: u32, period: u32) -> Option<&T> {
        if period as usize >= self.periods {
            return None;
        }
        match &self.cells {
            Cells::Dense(data) => data.get(rep as usize * self.periods + period as usize),
            Cells::Sparse(rows) => rows
                .get(rep as usize)
                .map(|row| row.get(&period).unwrap_or(&self.fill)),
        }
    }

    /// The value of (`rep`, `period`), mutably (a cell not yet stored is
    /// stored with the fill value first).
    pub(crate) fn get_mut(&mut self, rep: u32, period: u32) -> Option<&mut T> {
        if period as usize >= self.periods {
            return None;
        }
        // The caches describe the values, which may be about to change.
        self.sorted_rows.take();
        self.columns.take();
        match &mut self.cells {
            Cells::Dense(data) => data.get_mut(rep as usize * self.periods + period as usize),
            Cells::Sparse(rows) => {
                let fill = &self.fill;
                rows.get_mut(rep as usize)
                    .map(|row| row.entry(period).or_insert_with(|| fill.clone()))
            }
        }
    }

    /// A table of `f(value)`.
    pub(crate) fn map<U: Clone + Default>(&self, f: impl Fn(&T) -> U) -> RepPeriod<U> {
        let cells = match &self.cells {
            Cells::Dense(data) => Cells::Dense(data.iter().map(&f).collect()),
            Cells::Sparse(rows) => Cells::Sparse(
                rows.iter()
                    .map(|row| row.iter().map(|(&p, v)| (p, f(v))).collect())
                    .collect(),
            ),
        };
        RepPeriod {
            fill: f(&self.fill),
            ..RepPeriod::with_cells(self.periods, cells)
        }
    }

    /// Every stored `(rep, period, value)`, in (rep, period) order: every
    /// cell of a dense table, the written ones of a sparse table (the
    /// others hold the fill value).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, u32, &T)> + '_ {
        let periods = self.periods.max(1);
        let (dense, sparse) = match &self.cells {
            Cells::Dense(data) => (Some(data), None),
            Cells::Sparse(rows) => (None, Some(rows)),
        };
        let dense = dense.into_iter().flat_map(move |data| {
            data.iter()
                .enumerate()
                .map(move |(i, v)| ((i / periods) as u32, (i % periods) as u32, v))
        });
        let sparse = sparse.into_iter().flat_map(|rows| {
            rows.iter()
                .enumerate()
                .flat_map(|(r, row)| row.iter().map(move |(&p, v)| (r as u32, p, v)))
        });
        dense.chain(sparse)
    }

    /// The stored cells of rep `rep` as `(period, value)`, in period order.
    pub(crate) fn row(&self, rep: u32) -> impl Iterator<Item = (u32, &T)> + '_ {
        let periods = self.periods;
        let (dense, sparse) = match &self.cells {
            Cells::Dense(data) => {
                let start = (rep as usize).saturating_mul(periods);
                let end = start.saturating_add(periods);
                (data.get(start..end), None)
            }
            Cells::Sparse(rows) => (None, rows.get(rep as usize)),
        };
        let dense = dense
            .into_iter()
            .flat_map(|row| row.iter().enumerate().map(|(p, v)| (p as u32, v)));
        let sparse = sparse
            .into_iter()
            .flat_map(|row| row.iter().map(|(&p, v)| (p, v)));
        dense.chain(sparse)
    }
}

impl<U: Copy + Default> RepPeriod<Option<U>> {
    /// Whether cells that are not stored hold a value: then every rep
    /// has one in every period and the caches below do not apply.
    pub(crate) fn fill_is_some(&self) -> bool {
        self.fill.is_some()
    }

    /// The reps with a value in `period`, in rep order (computed once for
    /// all periods, in time proportional to the stored cells).
    pub(crate) fn column(&self, period: u32) -> &[u32] {
        let columns = self.columns.get_or_init(|| {
            let mut columns = vec![Vec::new(); self.periods];
            for (r, p, v) in self.iter() {
                if v.is_some()
                    && let Some(c) = columns.get_mut(p as usize)
                {
                    c.push(r);
                }
            }
            columns
        });
        columns.get(period as usize).map_or(&[], Vec::as_slice)
    }
}

impl RepPeriod<Option<f64>> {
    /// Rep `rep`'s values in ascending [`f64::total_cmp`] order (computed
    /// once for all reps, in time proportional to the stored cells).
    pub(crate) fn sorted_row(&self, rep: u32) -> &[f64] {
        let rows = self.sorted_rows.get_or_init(|| {
            let mut rows = vec![Vec::new(); self.reps()];
            for (r, _, v) in self.iter() {
                if let (Some(v), Some(row)) = (v, rows.get_mut(r as usize)) {
                    row.push(*v);
                }
            }
            rows.iter_mut().for_each(|row| row.sort_by(f64::total_cmp));
            rows
        });
        rows.get(rep as usize).map_or(&[], Vec::as_slice)
    }
}
