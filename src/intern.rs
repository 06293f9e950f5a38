//! String interning without a `String` per id: every distinct id is stored
//! once in one byte buffer and named by a dense `u32` symbol.

use hashbrown::HashTable;
use std::hash::BuildHasher;

/// A pool of distinct strings, each named by a dense `u32` in insertion order.
#[derive(Clone, Default)]
pub(crate) struct Interner {
    buf: String,
    /// `ends[i]` is the end offset of string `i` in `buf`.
    ends: Vec<usize>,
    table: HashTable<u32>,
    hasher: foldhash::fast::FixedState,
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interner")
            .field("len", &self.len())
            .finish()
    }
}

impl Interner {
    /// An empty pool (usable in a `static`).
    pub(crate) const fn new() -> Self {
        Self {
            buf: String::new(),
            ends: Vec::new(),
            table: HashTable::new(),
            // The same state as `FixedState::default()`.
            hasher: foldhash::fast::FixedState::with_seed(0),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The string of symbol `sym` (empty for an unknown symbol).
    pub(crate) fn get(&self, sym: u32) -> &str {
        let i = sym as usize;
        let end = self.ends.get(i).copied().unwrap_or(0);
        let start = if i == 0 {
            0
        } else {
            self.ends.get(i - 1).copied().unwrap_or(0)
        };
        self.buf.get(start..end).unwrap_or("")
    }

    /// The symbol of `s`, if interned.
    pub(crate) fn lookup(&self, s: &str) -> Option<u32> {
        let h = self.hasher.hash_one(s);
        self.table.find(h, |&sym| self.get(sym) == s).copied()
    }

    /// Interns `s`, returning its symbol.
    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        let h = self.hasher.hash_one(s);
        if let Some(&sym) = self
            .table
            .find(h, |&sym| get_in(&self.buf, &self.ends, sym) == s)
        {
            return sym;
        }
        // Ids beyond u32::MAX distinct strings are far past any CRM; saturate
        // rather than panic (symbols then alias, which validation reports as
        // duplicates instead of crashing).
        let sym = u32::try_from(self.ends.len()).unwrap_or(u32::MAX);
        self.buf.push_str(s);
        self.ends.push(self.buf.len());
        let (buf, ends, hasher) = (&self.buf, &self.ends, &self.hasher);
        self.table
            .insert_unique(h, sym, |&x| hasher.hash_one(get_in(buf, ends, x)));
        sym
    }

    /// Makes room for `additional` more strings of about `avg_len` bytes,
    /// so that bulk loads do not rehash as they grow.
    pub(crate) fn reserve(&mut self, additional: usize, avg_len: usize) {
        self.buf.reserve(additional.saturating_mul(avg_len));
        self.ends.reserve(additional);
        let (buf, ends, hasher) = (&self.buf, &self.ends, &self.hasher);
        self.table
            .reserve(additional, |&x| hasher.hash_one(get_in(buf, ends, x)));
    }
}

fn get_in<'a>(buf: &'a str, ends: &[usize], sym: u32) -> &'a str {
    let i = sym as usize;
    let end = ends.get(i).copied().unwrap_or(0);
    let start = if i == 0 {
        0
    } else {
        ends.get(i - 1).copied().unwrap_or(0)
    };
    buf.get(start..end).unwrap_or("")
}

/// An append-only column of optional strings in one buffer (absent and
/// empty are the same: SPEC §2 reads an empty cell as absent).
#[derive(Debug, Clone, Default)]
pub(crate) struct TextColumn {
    buf: String,
    ends: Vec<usize>,
}

impl TextColumn {
    pub(crate) fn push(&mut self, s: Option<&str>) {
        if let Some(s) = s {
            self.buf.push_str(s);
        }
        self.ends.push(self.buf.len());
    }

    pub(crate) fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { *self.ends.get(i - 1)? };
        self.buf.get(start..end).filter(|s| !s.is_empty())
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.buf.capacity() + self.ends.capacity() * std::mem::size_of::<usize>()
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Makes room for `additional` entries of about `avg_len` bytes.
    pub(crate) fn reserve(&mut self, additional: usize, avg_len: usize) {
        self.buf.reserve(additional.saturating_mul(avg_len));
        self.ends.reserve(additional);
    }

    /// Appends every entry of `other`, in order.
    pub(crate) fn append(&mut self, other: &TextColumn) {
        let base = self.buf.len();
        self.buf.push_str(&other.buf);
        self.ends.extend(other.ends.iter().map(|e| e + base));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_once_and_round_trips() {
        let mut i = Interner::default();
        let a = i.intern("r10");
        let b = i.intern("r2");
        assert_eq!(i.intern("r10"), a);
        assert_ne!(a, b);
        assert_eq!(i.get(a), "r10");
        assert_eq!(i.get(b), "r2");
        assert_eq!(i.lookup("r2"), Some(b));
        assert_eq!(i.lookup("zz"), None);
        let e = i.intern("");
        assert_eq!(i.get(e), "");
        assert_eq!(i.len(), 3);
    }

    #[test]
    fn text_column_absent_equals_empty() {
        let mut c = TextColumn::default();
        c.push(Some("a"));
        c.push(None);
        c.push(Some(""));
        c.push(Some("bc"));
        assert_eq!(c.get(0), Some("a"));
        assert_eq!(c.get(1), None);
        assert_eq!(c.get(2), None);
        assert_eq!(c.get(3), Some("bc"));
        assert_eq!(c.get(4), None);
        let mut d = TextColumn::default();
        d.push(Some("x"));
        d.append(&c);
        assert_eq!(d.len(), 5);
        assert_eq!(d.get(1), Some("a"));
        assert_eq!(d.get(4), Some("bc"));
    }
}
