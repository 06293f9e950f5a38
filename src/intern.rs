//! String interning without a `String` per id: every distinct id is stored
//! once in one byte buffer and named by a dense `u32` symbol.
//!
//! The hash table is open addressing with linear probing over one `u64`
//! per slot holding a 32-bit hash tag and the symbol, so a probe costs one
//! cache line and the id text is read only when the tags match. With
//! millions of ids every probe is a cache miss; this halves them against a
//! table with separate control bytes and entries.

use crate::par;
use std::hash::BuildHasher;

/// Marker for "no index" in dense `u32` columns (crate-private: public
/// accessors return `Option`).
pub(crate) const NONE: u32 = u32::MAX;

/// A pool of distinct strings, each named by a dense `u32` symbol in
/// insertion order.
#[derive(Default, Clone)]
pub(crate) struct Interner {
    buf: String,
    /// `ends[i]` is the end offset of string `i` in `buf`.
    ends: Vec<usize>,
    /// `0` is empty; else `tag << 32 | (symbol + 1)`.
    slots: Vec<u64>,
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interner")
            .field("len", &self.len())
            .finish()
    }
}

/// The hash every interner uses for `s` (for [`Interner::touch`],
/// [`Interner::lookup_hashed`] and [`Interner::intern_hashed`]); callers
/// compute it where it is cheap, for example on parsing threads.
pub(crate) fn hash_str(s: &str) -> u64 {
    foldhash::fast::FixedState::with_seed(0).hash_one(s)
}

/// Symbols at and past this are not stored (4 billion distinct ids is far
/// past any CRM): they alias, which validation then reports as
/// duplicates instead of crashing.
const LAST_SYMBOL: u32 = u32::MAX - 1;

fn entry(h: u64, sym: u32) -> u64 {
    (h >> 32) << 32 | (u64::from(sym) + 1)
}

/// The slot where the probe for hash `h` starts in a table of `2^bits`
/// slots: the hash's top bits, which its [`entry`] keeps (for tables of up
/// to 2^32 slots), so that a table can be built from entries alone.
fn home(h: u64, bits: u32) -> usize {
    h.checked_shr(64 - bits).unwrap_or(0) as usize
}

impl Interner {
    /// An empty pool (usable in a `static`).
    pub(crate) const fn new() -> Self {
        Self {
            buf: String::new(),
            ends: Vec::new(),
            slots: Vec::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The string of symbol `sym` (empty for an unknown symbol).
    pub(crate) fn get(&self, sym: u32) -> &str {
        get_in(&self.buf, &self.ends, sym)
    }

    /// The column of the strings of `len` symbols (`sym(k)`, `None` for an
    /// absent entry), gathered as [`TextColumn::gathered`] gathers.
    pub(crate) fn texts_of(
        &self,
        len: usize,
        sym: impl Fn(usize) -> Option<u32> + Sync,
    ) -> TextColumn {
        let place = |k: usize| span_in(&self.ends, sym(k)? as usize);
        match packed_spans(self.buf.len(), len, place) {
            Some(spans) => TextColumn::from_spans(&self.buf, &spans),
            None => TextColumn::from_fn(len, |k| sym(k).map_or("", |s| self.get(s))),
        }
    }

    /// The slot to start probing for hash `h`, and the tag stored for it.
    fn start(&self, h: u64) -> (usize, u64) {
        (home(h, self.slots.len().trailing_zeros()), h >> 32)
    }

    fn slot(&self, pos: usize) -> u64 {
        self.slots.get(pos).copied().unwrap_or(0)
    }

    /// The symbol of `s`, if interned.
    pub(crate) fn lookup(&self, s: &str) -> Option<u32> {
        self.find(s, hash_str(s)).ok()
    }

    /// Reads the first slot that hash `h` probes and returns it, for the
    /// caller to fold into a value it keeps: loads issued a few keys
    /// ahead overlap their cache misses with the work on earlier keys
    /// (a prefetch in safe code).
    pub(crate) fn touch(&self, h: u64) -> u64 {
        self.slot(self.start(h).0)
    }

    /// The symbol the first slot of hash `h` holds, if its tag matches
    /// (a guess: the string may sit further along the probe sequence).
    fn first_guess(&self, h: u64) -> Option<u32> {
        let (pos, tag) = self.start(h);
        let slot = self.slot(pos);
        (slot != 0 && slot >> 32 == tag).then(|| (slot as u32).wrapping_sub(1))
    }

    /// Reads the end offsets of the symbol hash `h` probably names (its
    /// slot read earlier by [`Self::touch`]): the second of the three
    /// dependent misses of a look-up.
    fn touch_ends(&self, h: u64) -> u64 {
        self.first_guess(h).map_or(0, |sym| {
            let i = sym as usize;
            self.ends.get(i).copied().unwrap_or(0) as u64
        })
    }

    /// Reads the first byte of the text of the symbol hash `h` probably
    /// names (its end offsets read earlier by [`Self::touch_ends`]): the
    /// third miss.
    fn touch_text(&self, h: u64) -> u64 {
        self.first_guess(h).map_or(0, |sym| {
            let i = sym as usize;
            let start = match i.checked_sub(1) {
                Some(before) => self.ends.get(before).copied().unwrap_or(0),
                None => 0,
            };
            self.buf.as_bytes().get(start).copied().map_or(0, u64::from)
        })
    }

    /// Looks up strings in order: `text(k)`, hashed to `hashes[k]`, for
    /// every `k` of `hashes`, calling `found(k, text, symbol)`.
    ///
    /// With millions of strings every probe is a cache miss, so probes
    /// are avoided and overlapped. Exports often list rows of one key
    /// together and keys in the order they were interned: a string equal
    /// to the one before, or to the string of the symbol after the one
    /// before, is resolved without a probe. While strings do need probes,
    /// each probe's three dependent misses (slot, end offsets, text) are
    /// read early for strings further ahead, in stages, so that they overlap
    /// the work on earlier ones; while predictions hold, nothing is read
    /// ahead (each would be a miss spent for nothing).
    pub(crate) fn lookup_in_order<'t>(
        &self,
        hashes: &[u64],
        text: impl Fn(usize) -> &'t str,
        mut found: impl FnMut(usize, &'t str, Option<u32>),
    ) {
        // Slots 12 strings ahead, end offsets 8 ahead, text 4 ahead.
        const AHEAD: usize = 12;
        const ENDS_AHEAD: usize = 8;
        const TEXT_AHEAD: usize = 4;
        let mut touched = 0u64;
        let mut previous: Option<(&str, Option<u32>)> = None;
        let mut probes_lately = 1u32;
        for (k, &h) in hashes.iter().enumerate() {
            if probes_lately > 0 {
                if let Some(&ahead) = hashes.get(k + AHEAD) {
                    touched ^= self.touch(ahead);
                }
                if let Some(&ahead) = hashes.get(k + ENDS_AHEAD) {
                    touched ^= self.touch_ends(ahead);
                }
                if let Some(&ahead) = hashes.get(k + TEXT_AHEAD) {
                    touched ^= self.touch_text(ahead);
                }
            }
            let s = text(k);
            let predicted = match previous {
                Some((last, sym)) if last == s => Some(sym),
                Some((_, Some(sym)))
                    if (sym as usize) + 1 < self.len() && self.get(sym + 1) == s =>
                {
                    Some(Some(sym + 1))
                }
                _ => None,
            };
            probes_lately = match predicted {
                Some(_) => probes_lately.saturating_sub(1),
                None => 4 * AHEAD as u32,
            };
            let sym = predicted.unwrap_or_else(|| self.lookup_hashed(s, h));
            previous = Some((s, sym));
            found(k, s, sym);
        }
        std::hint::black_box(touched);
    }

    /// [`Self::lookup`] with `h = hash_str(s)` computed already.
    pub(crate) fn lookup_hashed(&self, s: &str, h: u64) -> Option<u32> {
        self.find(s, h).ok()
    }

    /// `Ok(symbol)`, or `Err(empty slot)` where `s` would go.
    fn find(&self, s: &str, h: u64) -> Result<u32, usize> {
        if self.slots.is_empty() {
            return Err(0);
        }
        let mask = self.slots.len() - 1;
        let (mut pos, tag) = self.start(h);
        // The table is never full (see `grow`), so an empty slot ends every
        // probe sequence.
        loop {
            let slot = self.slot(pos);
            if slot == 0 {
                return Err(pos);
            }
            if slot >> 32 == tag {
                let sym = (slot as u32).wrapping_sub(1);
                if self.get(sym) == s {
                    return Ok(sym);
                }
            }
            pos = (pos + 1) & mask;
        }
    }

    /// Interns `s`, returning its symbol.
    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        self.intern_hashed(s, hash_str(s))
    }

    /// [`Self::intern`] with `h = hash_str(s)` computed already.
    pub(crate) fn intern_hashed(&mut self, s: &str, h: u64) -> u32 {
        let pos = match self.find(s, h) {
            Ok(sym) => return sym,
            Err(pos) => pos,
        };
        let Ok(sym) = u32::try_from(self.ends.len()) else {
            return u32::MAX;
        };
        if sym > LAST_SYMBOL {
            return u32::MAX;
        }
        self.buf.push_str(s);
        self.ends.push(self.buf.len());
        if self.needs_room(0) {
            self.grow(self.ends.len());
            self.place(h, sym);
        } else if let Some(slot) = self.slots.get_mut(pos) {
            *slot = entry(h, sym);
        }
        sym
    }

    /// Interns `texts` (with `hashes[i] = hash_str(texts[i])`, computed
    /// where it is cheap, for example on parsing threads); returns each
    /// string's symbol. The slot of the string a few places ahead is read
    /// early, so that its cache miss overlaps the work on the ones before
    /// (with millions of ids every insertion misses).
    pub(crate) fn intern_bulk(&mut self, texts: &TextColumn, hashes: &[u64]) -> Vec<u32> {
        const AHEAD: usize = 8;
        let n = texts.len().min(hashes.len());
        let mut touched = 0u64;
        let syms = (0..n)
            .map(|i| {
                if let Some(&ahead) = hashes.get(i + AHEAD) {
                    touched ^= self.touch(ahead);
                }
                let h = hashes.get(i).copied().unwrap_or(0);
                self.intern_hashed(texts.get(i).unwrap_or(""), h)
            })
            .collect();
        std::hint::black_box(touched);
        syms
    }

    /// Whether `additional` more symbols would load the table past 3/4
    /// (linear probing stays short below that; past it, probes grow fast).
    fn needs_room(&self, additional: usize) -> bool {
        (self.ends.len() + additional) * 4 > self.slots.len() * 3
    }

    /// Rebuilds the table with room for `count` symbols, moving over the
    /// entries of the old one.
    fn grow(&mut self, count: usize) {
        let want = table_size(count);
        if want <= self.slots.len() {
            return;
        }
        // Written, not calloc'ed (see `index_of`).
        let old = std::mem::replace(&mut self.slots, crate::par::filled(want, 0));
        for e in old {
            if e != 0 {
                let sym = (e as u32).wrapping_sub(1);
                self.place(hash_str(self.get(sym)), sym);
            }
        }
    }

    /// Stores `sym` (hash `h`) in the first empty slot of its sequence.
    fn place(&mut self, h: u64, sym: u32) {
        let mask = self.slots.len().wrapping_sub(1);
        let (mut pos, _) = self.start(h);
        while let Some(slot) = self.slots.get_mut(pos) {
            if *slot == 0 {
                *slot = entry(h, sym);
                return;
            }
            pos = (pos + 1) & mask;
        }
    }

    /// Heap bytes held (text, offsets, table).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.buf.capacity() + self.ends.capacity() * 8 + self.slots.capacity() * 8
    }

    /// Frees the room the text and offsets keep for growth (the hash
    /// table keeps its size: its load sets the probe lengths).
    pub(crate) fn shrink_to_fit(&mut self) {
        self.buf.shrink_to_fit();
        self.ends.shrink_to_fit();
    }

    /// Makes room for `additional` more strings of about `avg_len` bytes,
    /// so that bulk loads do not rehash as they grow.
    pub(crate) fn reserve(&mut self, additional: usize, avg_len: usize) {
        self.buf.reserve(additional.saturating_mul(avg_len));
        self.ends.reserve(additional);
        if self.needs_room(additional) {
            self.grow(self.ends.len().saturating_add(additional));
        }
    }
}

fn get_in<'a>(buf: &'a str, ends: &[usize], sym: u32) -> &'a str {
    let (start, end) = span_in(ends, sym as usize).unwrap_or((0, 0));
    buf.get(start..end).unwrap_or("")
}

/// Where string `i` lies in the text (`None` past the last string).
fn span_in(ends: &[usize], i: usize) -> Option<(usize, usize)> {
    let end = *ends.get(i)?;
    let start = if i == 0 { 0 } else { *ends.get(i - 1)? };
    Some((start, end))
}

/// An append-only column of optional strings in one buffer (absent and
/// empty are the same: SPEC §2 reads an empty cell as absent).
///
/// A column that has held nothing but absent values stores only its
/// length: dropped or missing columns (for example prospect details not
/// kept) cost nothing per row.
#[derive(Debug, Clone, Default)]
pub(crate) struct TextColumn {
    buf: String,
    /// Low 32 bits of each entry's end offset in `buf`, one per entry once
    /// any entry has text; empty before. Half the size of `usize` offsets
    /// (millions of ids); `wraps` gives the high bits.
    ends: Vec<u32>,
    /// For each multiple of 4 GiB (2^`LOW_BITS`) that the text reaches,
    /// the first entry whose end offset reaches it (empty below 4 GiB).
    wraps: Vec<usize>,
    len: usize,
}

/// Bits of an end offset kept in [`TextColumn`]'s `ends` (fewer in tests,
/// so that their short texts cross many wraps).
const LOW_BITS: u32 = if cfg!(test) { 4 } else { 32 };

/// The low bits of an end offset.
fn low_bits(end: usize) -> u32 {
    (end as u64 & ((1u64 << LOW_BITS) - 1)) as u32
}

/// Entries whose text [`TextColumn::from_fn`] copies in one piece.
const GATHER_CHUNK: usize = 1 << 14;

/// Bits of a packed span ([`TextColumn::gathered`]) that hold its length.
const SPAN_LEN_BITS: u32 = 24;

/// The packed length that says an entry is too long to pack.
const SPAN_TOO_LONG: u64 = (1 << SPAN_LEN_BITS) - 1;

/// Texts this long or longer do not fit a packed span's start.
const SPAN_START_LIMIT: u64 = 1 << (64 - SPAN_LEN_BITS);

/// The places `(start, end)` of `len` entries in a text of `text_len`
/// bytes, packed as `start << SPAN_LEN_BITS | length` on all threads (an
/// entry without a place is empty); `None` when one does not fit (text
/// of 1 TiB or more, or an entry of 16 MiB or more).
fn packed_spans(
    text_len: usize,
    len: usize,
    place: impl Fn(usize) -> Option<(usize, usize)> + Sync,
) -> Option<Vec<u64>> {
    if text_len as u64 >= SPAN_START_LIMIT {
        return None;
    }
    let spans = par::map_indices(len, |k| {
        place(k).map_or(0, |(start, end)| {
            ((start as u64) << SPAN_LEN_BITS)
                | (end.saturating_sub(start) as u64).min(SPAN_TOO_LONG)
        })
    });
    (!spans.iter().any(|&x| x & SPAN_TOO_LONG == SPAN_TOO_LONG)).then_some(spans)
}

/// The length of a packed span (0 for none).
fn span_len(span: Option<&u64>) -> usize {
    span.map_or(0, |&x| (x & SPAN_TOO_LONG) as usize)
}

/// A packed span's start and length.
fn unpack_span(span: u64) -> (usize, usize) {
    (
        (span >> SPAN_LEN_BITS) as usize,
        (span & SPAN_TOO_LONG) as usize,
    )
}

impl TextColumn {
    /// Stores the ends of the absent entries so far, before the first text.
    fn materialize(&mut self) {
        if self.ends.len() < self.len {
            self.ends.resize(self.len, low_bits(self.buf.len()));
        }
    }

    /// Records the end of the next entry at `end` (≥ every earlier end).
    fn push_end(&mut self, end: usize) {
        while (self.wraps.len() as u64) < (end as u64) >> LOW_BITS {
            self.wraps.push(self.ends.len());
        }
        self.ends.push(low_bits(end));
    }

    /// The end offset of entry `i` in `buf`.
    fn end(&self, i: usize) -> Option<usize> {
        let low = *self.ends.get(i)? as usize;
        if self.wraps.is_empty() {
            return Some(low);
        }
        let high = self.wraps.partition_point(|&w| w <= i) as u64;
        usize::try_from((high << LOW_BITS) | low as u64).ok()
    }

    pub(crate) fn push(&mut self, s: Option<&str>) {
        match s {
            Some(s) if !s.is_empty() => {
                self.materialize();
                self.buf.push_str(s);
                self.push_end(self.buf.len());
            }
            _ if self.ends.is_empty() => {}
            _ => self.push_end(self.buf.len()),
        }
        self.len += 1;
    }

    /// Removes every entry, keeping the allocations.
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.ends.clear();
        self.wraps.clear();
        self.len = 0;
    }

    /// Appends absent entries until the column has `len` entries.
    pub(crate) fn pad_to(&mut self, len: usize) {
        if len > self.len {
            if !self.ends.is_empty() {
                // The text does not grow: no new wrap.
                self.ends.resize(len, low_bits(self.buf.len()));
            }
            self.len = len;
        }
    }

    pub(crate) fn get(&self, i: usize) -> Option<&str> {
        let end = self.end(i)?;
        let start = if i == 0 { 0 } else { self.end(i - 1)? };
        self.buf.get(start..end).filter(|s| !s.is_empty())
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.buf.capacity()
            + self.ends.capacity() * std::mem::size_of::<u32>()
            + self.wraps.capacity() * std::mem::size_of::<usize>()
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Frees the room kept for growth.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.buf.shrink_to_fit();
        self.ends.shrink_to_fit();
        self.wraps.shrink_to_fit();
    }

    /// Makes room for `additional` entries of about `avg_len` bytes.
    pub(crate) fn reserve(&mut self, additional: usize, avg_len: usize) {
        self.buf.reserve(additional.saturating_mul(avg_len));
        self.ends.reserve(additional);
    }

    /// The entries `order` names, in that order (an index past the end is
    /// an absent entry), copied on all threads into one buffer sized
    /// first: gathering millions of ids reads each at a random place, and
    /// copying parts and then joining them would hold the text twice.
    pub(crate) fn gathered(&self, order: &[u32]) -> TextColumn {
        if self.ends.is_empty() {
            return TextColumn {
                len: order.len(),
                ..TextColumn::default()
            };
        }
        // Where each entry lies, read once: the copy then reads only the
        // text, not the offsets again (at 10M ids, a cache miss each).
        let place = |k: usize| {
            let i = order.get(k).map_or(usize::MAX, |&i| i as usize);
            let start = if i == 0 { Some(0) } else { self.end(i - 1) };
            start.zip(self.end(i))
        };
        let spans = packed_spans(self.buf.len(), order.len(), place);
        match spans {
            Some(spans) => TextColumn::from_spans(&self.buf, &spans),
            None => {
                let text = |k: usize| {
                    order
                        .get(k)
                        .and_then(|&i| self.get(i as usize))
                        .unwrap_or("")
                };
                TextColumn::from_fn(order.len(), text)
            }
        }
    }

    /// The column of the pieces of `buf` that `spans` ([`packed_spans`])
    /// name, in order.
    fn from_spans(buf: &str, spans: &[u64]) -> TextColumn {
        let column = TextColumn::with_ends(spans.len(), |k| span_len(spans.get(k)));
        column.copied_in(|k| {
            let (start, n) = spans.get(k).map_or((0, 0), |&x| unpack_span(x));
            buf.get(start..start + n).unwrap_or("")
        })
    }

    /// The column of `text(0)`, …, `text(len - 1)` (empty is absent):
    /// lengths on all threads, then ends, then the text copied on all
    /// threads into one buffer.
    pub(crate) fn from_fn<'t>(len: usize, text: impl Fn(usize) -> &'t str + Sync) -> TextColumn {
        // Lengths as u32 (the ends' own type); a longer string is counted
        // again exactly.
        let lengths: Vec<u32> =
            par::map_indices(len, |k| u32::try_from(text(k).len()).unwrap_or(u32::MAX));
        let column = TextColumn::with_ends(len, |k| match lengths.get(k) {
            Some(&u32::MAX) => text(k).len(),
            n => n.map_or(0, |&n| n as usize),
        });
        drop(lengths);
        column.copied_in(text)
    }

    /// A column of `len` entries whose ends come from the entries'
    /// lengths, its text not yet there.
    fn with_ends(len: usize, length: impl Fn(usize) -> usize) -> TextColumn {
        let mut column = TextColumn {
            len,
            ..TextColumn::default()
        };
        column.ends.reserve_exact(len);
        let mut total = 0usize;
        for k in 0..len {
            total += length(k);
            column.push_end(total);
        }
        column
    }

    /// The column [`Self::with_ends`] laid out, with the text of every
    /// entry copied in on all threads, in chunks of [`GATHER_CHUNK`].
    fn copied_in<'t>(mut self, text: impl Fn(usize) -> &'t str + Sync) -> TextColumn {
        let len = self.len;
        let total = self.end(len.saturating_sub(1)).unwrap_or(0);
        let mut bytes = par::filled(total, 0u8);
        let mut jobs = Vec::with_capacity(len.div_ceil(GATHER_CHUNK));
        let (mut rest, mut start) = (&mut bytes[..], 0usize);
        for first in (0..len).step_by(GATHER_CHUNK) {
            let last = (first + GATHER_CHUNK).min(len);
            let end = self.end(last - 1).unwrap_or(start);
            let (out, tail) = rest.split_at_mut(end - start);
            jobs.push((out, first..last));
            (rest, start) = (tail, end);
        }
        par::for_each_owned(jobs, |(out, entries)| {
            let mut at = 0;
            for k in entries {
                let s = text(k).as_bytes();
                if let Some(slot) = out.get_mut(at..at + s.len()) {
                    slot.copy_from_slice(s);
                }
                at += s.len();
            }
        });
        // Whole strings end to end are UTF-8: the check cannot fail (and
        // an empty column is the worst a failure could give).
        self.buf = String::from_utf8(bytes).unwrap_or_default();
        self
    }

    /// Appends every entry of `other`, in order.
    pub(crate) fn append(&mut self, other: &TextColumn) {
        if other.ends.is_empty() {
            self.pad_to(self.len + other.len);
            return;
        }
        self.materialize();
        let base = self.buf.len();
        self.buf.push_str(&other.buf);
        for i in 0..other.ends.len() {
            self.push_end(base + other.end(i).unwrap_or(0));
        }
        self.len += other.len;
    }
}

/// Checks the offsets of strings stored end to end in `buf`: ascending,
/// within the text and on character boundaries.
fn check_ends(buf: &str, ends: &[usize]) -> Result<(), String> {
    let mut start = 0;
    for &end in ends {
        if end < start || end > buf.len() || !buf.is_char_boundary(end) {
            return Err(format!("bad string offset {end}"));
        }
        start = end;
    }
    Ok(())
}

/// Appends `n` as LEB128 (7 bits a byte, low first).
pub(crate) fn push_len(buf: &mut Vec<u8>, mut n: usize) {
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            buf.push(low);
            return;
        }
        buf.push(low | 0x80);
    }
}

/// The LEB128 length at `*pos`, moving `*pos` past it.
pub(crate) fn read_len(bytes: &[u8], pos: &mut usize) -> Option<usize> {
    let mut n = 0usize;
    let mut shift = 0u32;
    loop {
        let b = *bytes.get(*pos)?;
        *pos += 1;
        n |= usize::from(b & 0x7f).checked_shl(shift)?;
        if b & 0x80 == 0 {
            return Some(n);
        }
        shift += 7;
    }
}

/// End offsets as serde writes them: in a binary format, each string's
/// length as a LEB128 number in one byte string (mostly a byte a string,
/// read back in a tight loop instead of a serde call per number); in a
/// human-readable one, the offsets.
struct Ends<I>(I);

impl<I: Iterator<Item = usize> + ExactSizeIterator + Clone> serde::Serialize for Ends<I> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            return s.collect_seq(self.0.clone());
        }
        let mut bytes = Vec::with_capacity(self.0.len() + 16);
        let mut start = 0;
        for end in self.0.clone() {
            push_len(&mut bytes, end.saturating_sub(start));
            start = end;
        }
        s.serialize_bytes(&bytes)
    }
}

/// [`Ends`], read.
struct EndsRead(Vec<usize>);

impl<'de> serde::Deserialize<'de> for EndsRead {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            Vec::<usize>::deserialize(d).map(EndsRead)
        } else {
            d.deserialize_bytes(EndsVisitor).map(EndsRead)
        }
    }
}

struct EndsVisitor;

impl<'de> serde::de::Visitor<'de> for EndsVisitor {
    type Value = Vec<usize>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("string lengths as LEB128 bytes")
    }

    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        ends_of_lengths(v).map_err(E::custom)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut bytes = Vec::new();
        while let Some(b) = seq.next_element::<u8>()? {
            bytes.push(b);
        }
        ends_of_lengths(&bytes).map_err(serde::de::Error::custom)
    }
}

/// The end offsets of strings whose lengths `bytes` holds as LEB128
/// numbers.
fn ends_of_lengths(bytes: &[u8]) -> Result<Vec<usize>, String> {
    let count = bytes.iter().filter(|&&b| b < 0x80).count();
    let mut ends = Vec::with_capacity(count);
    let (mut end, mut pos) = (0usize, 0usize);
    while pos < bytes.len() {
        end = read_len(bytes, &mut pos)
            .and_then(|len| end.checked_add(len))
            .ok_or("a string length cut short or past the address space")?;
        ends.push(end);
    }
    Ok(ends)
}

/// The serde form of an [`Interner`]: the text and the end offsets. One
/// read has its text checked but no hash table yet: the reader builds it
/// with [`Interner::build_index`] (a snapshot of many ids does it on
/// another thread) before looking anything up.
impl serde::Serialize for Interner {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (&self.buf, Ends(self.ends.iter().copied())).serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Interner {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (buf, EndsRead(ends)): (String, EndsRead) = serde::Deserialize::deserialize(d)?;
        check_ends(&buf, &ends).map_err(serde::de::Error::custom)?;
        if ends.len() > LAST_SYMBOL as usize {
            return Err(serde::de::Error::custom("too many strings"));
        }
        Ok(Interner {
            buf,
            ends,
            slots: Vec::new(),
        })
    }
}

impl Interner {
    /// Whether the hash table is built (an interner read from serde has
    /// none until [`Interner::set_index`]).
    pub(crate) fn is_indexed(&self) -> bool {
        self.ends.is_empty() || !self.slots.is_empty()
    }

    /// Builds the hash table of an interner read from serde (nothing to
    /// do when it has one).
    ///
    /// # Errors
    /// A string stored twice.
    pub(crate) fn build_index(&mut self) -> Result<(), String> {
        if !self.is_indexed() {
            self.slots = Self::index_of(&self.buf, &self.ends)?;
        }
        Ok(())
    }

    /// The hash table of strings stored end to end in `buf` (offsets
    /// checked), symbol `i` ending at `ends[i]`.
    ///
    /// Inserting millions of ids one by one misses the cache on every
    /// probe (most of a 10M-contact snapshot's restore went there).
    /// Instead the ids' entries are made on every thread, sorted by the
    /// bucket of the table their probe starts in (a counting sort), and
    /// each run of buckets is filled by one task: its inserts stay within
    /// a few kilobytes of table. A probe that runs past the end of its
    /// task's run is finished afterwards over the whole table. Any
    /// insertion order gives a valid linear-probing table, so look-ups are
    /// as before.
    ///
    /// # Errors
    /// A string stored twice; more strings than a table of 2^32 slots
    /// holds.
    fn index_of(buf: &str, ends: &[usize]) -> Result<Vec<u64>, String> {
        let size = table_size(ends.len());
        let bits = size.trailing_zeros();
        if bits > 32 {
            return Err("too many strings".into());
        }
        let entries = crate::par::map_indices(ends.len(), |i| {
            let sym = i as u32;
            entry(hash_str(get_in(buf, ends, sym)), sym)
        });
        let shift = bits.saturating_sub(BUILD_BUCKET_BITS);
        let buckets = size >> shift;
        let (starts, sorted) = by_bucket(&entries, buckets, |e| home(e, bits) >> shift);
        drop(entries);
        let run = (buckets / (4 * crate::par::threads())).max(1);
        let text = |e: u64| get_in(buf, ends, (e as u32).wrapping_sub(1));
        // Written, not calloc'ed: a zeroed page read before it is written
        // costs a second fault and a TLB shootdown on every thread.
        let mut slots = crate::par::filled(size, 0u64);
        let spills = crate::par::map_chunks_mut_indexed(&mut slots, run << shift, |(k, part)| {
            let first = k * run;
            let run_entries = starts
                .get(first)
                .zip(starts.get((first + run).min(buckets)))
                .and_then(|(&a, &b)| sorted.get(a as usize..b as usize))
                .unwrap_or(&[]);
            fill_run(part, (k * (run << shift), bits), run_entries, text)
        });
        let spills = spills.into_iter().collect::<Result<Vec<_>, _>>()?;
        place_spills(&mut slots, bits, spills.into_iter().flatten(), text)?;
        Ok(slots)
    }
}

/// Inserts `entries` into a table of `2^bits` slots by linear probing
/// over the whole table (the probes that ran past their run).
///
/// # Errors
/// A string stored twice.
fn place_spills<'t>(
    slots: &mut [u64],
    bits: u32,
    entries: impl Iterator<Item = u64>,
    text: impl Fn(u64) -> &'t str,
) -> Result<(), String> {
    let mask = slots.len().wrapping_sub(1);
    for e in entries {
        let mut pos = home(e, bits);
        // The table is never full (`table_size`): an empty slot comes.
        while let Some(slot) = slots.get_mut(pos) {
            if *slot == 0 {
                *slot = e;
                break;
            }
            if *slot >> 32 == e >> 32 && text(*slot) == text(e) {
                return Err(stored_twice(text(e)));
            }
            pos = (pos + 1) & mask;
        }
    }
    Ok(())
}

/// Table positions per bucket when [`Interner::index_of`] builds a table:
/// 4096 slots, 32 KB.
const BUILD_BUCKET_BITS: u32 = 12;

/// The number of slots that holds `count` symbols at most 3/4 full.
fn table_size(count: usize) -> usize {
    (count.max(8) * 4 / 3 + 1).next_power_of_two()
}

fn stored_twice(s: &str) -> String {
    format!("id {s:?} stored twice")
}

/// Where each bucket starts (`buckets + 1` starts), and `items` sorted
/// by `bucket`, in their order within a bucket: a counting sort.
fn by_bucket(items: &[u64], buckets: usize, bucket: impl Fn(u64) -> usize) -> (Vec<u32>, Vec<u64>) {
    let mut starts = vec![0u32; buckets + 1];
    for &x in items {
        if let Some(n) = starts.get_mut(bucket(x) + 1) {
            *n += 1;
        }
    }
    for i in 1..starts.len() {
        let before = starts.get(i - 1).copied().unwrap_or(0);
        if let Some(n) = starts.get_mut(i) {
            *n += before;
        }
    }
    let mut next = starts.clone();
    let mut sorted = vec![0u64; items.len()];
    for &x in items {
        if let Some(at) = next.get_mut(bucket(x)) {
            if let Some(o) = sorted.get_mut(*at as usize) {
                *o = x;
            }
            *at += 1;
        }
    }
    (starts, sorted)
}

/// Inserts `entries` (whose probes start in `part`, the slots from `base`
/// on of a table of `2^bits`) into `part` by linear probing; returns those
/// whose probe ran past its end, in order. `text(entry)` is the string of
/// an entry (read only where tags match).
///
/// # Errors
/// A string stored twice.
fn fill_run<'t>(
    part: &mut [u64],
    (base, bits): (usize, u32),
    entries: &[u64],
    text: impl Fn(u64) -> &'t str,
) -> Result<Vec<u64>, String> {
    let mut spills = Vec::new();
    for &e in entries {
        // Past the end (a spill) if the home were not in `part`.
        let mut pos = home(e, bits).checked_sub(base).unwrap_or(part.len());
        loop {
            let Some(slot) = part.get_mut(pos) else {
                spills.push(e);
                break;
            };
            if *slot == 0 {
                *slot = e;
                break;
            }
            if *slot >> 32 == e >> 32 && text(*slot) == text(e) {
                return Err(stored_twice(text(e)));
            }
            pos += 1;
        }
    }
    Ok(spills)
}

/// The serde form of a [`TextColumn`]: text, end offsets (whole, not
/// split into low bits and wraps; see [`Ends`]), length.
impl serde::Serialize for TextColumn {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ends = (0..self.ends.len()).map(|i| self.end(i).unwrap_or(0));
        (&self.buf, Ends(ends), self.len).serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for TextColumn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (buf, EndsRead(ends), len): (String, EndsRead, usize) =
            serde::Deserialize::deserialize(d)?;
        let consistent = if ends.is_empty() {
            buf.is_empty()
        } else {
            ends.len() == len
        };
        if !consistent {
            return Err(serde::de::Error::custom(
                "text column offsets do not match its length",
            ));
        }
        check_ends(&buf, &ends).map_err(serde::de::Error::custom)?;
        let mut column = TextColumn {
            buf,
            len,
            ..TextColumn::default()
        };
        column.ends.reserve_exact(ends.len());
        for end in ends {
            column.push_end(end);
        }
        Ok(column)
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

    /// An entry too long for a packed place (16 MiB or more) takes the
    /// gather's other path, with the same result.
    #[test]
    fn gathers_an_entry_too_long_to_pack() {
        let long = "x".repeat(1 << SPAN_LEN_BITS);
        let mut column = TextColumn::default();
        let mut interner = Interner::default();
        for s in ["a", long.as_str(), "", "b"] {
            column.push(Some(s));
            interner.intern(s);
        }
        let order = [3u32, 1, 0, 2, 1, 9];
        let got = column.gathered(&order);
        let by_symbol = interner.texts_of(order.len(), |k| order.get(k).copied());
        for (k, &i) in order.iter().enumerate() {
            let want = column.get(i as usize);
            assert_eq!(got.get(k), want);
            assert_eq!(by_symbol.get(k), want);
        }
    }

    #[test]
    fn grows_and_reserves_without_losing_symbols() {
        let mut i = Interner::default();
        i.reserve(10, 4);
        for n in 0..5000u32 {
            assert_eq!(i.intern(&format!("id{n}")), n);
        }
        i.reserve(100_000, 6);
        for n in 0..5000u32 {
            assert_eq!(i.lookup(&format!("id{n}")), Some(n));
            assert_eq!(i.get(n), format!("id{n}"));
        }
        assert_eq!(i.lookup("id5000"), None);
        assert_eq!(Interner::new().lookup(""), None);
    }

    /// A table built from stored strings (runs of buckets filled apart,
    /// probes that run past a run finished afterwards) finds every string
    /// and nothing else, and names a string stored twice, wherever it is.
    #[test]
    fn a_table_built_from_stored_strings_finds_them_all() {
        for n in [0usize, 1, 7, 5000, 120_000] {
            let mut pool = Interner::default();
            for k in 0..n {
                pool.intern(&format!("c{k:x}"));
            }
            let bytes = postcard::to_allocvec(&pool).unwrap();
            let mut back: Interner = postcard::from_bytes(&bytes).unwrap();
            back.build_index().unwrap();
            for k in 0..n {
                assert_eq!(back.lookup(&format!("c{k:x}")), Some(k as u32));
            }
            assert_eq!(back.lookup("c-"), None);
            // Interning goes on where the built table left off.
            assert_eq!(back.intern("new"), n as u32);
            assert_eq!(back.lookup("new"), Some(n as u32));
        }
        // A probe past the end of its run is handed back, not wrapped.
        let (a, b) = ((0b11 << 62) | 1, (0b11 << 62) | 2);
        let mut part = [0u64; 4];
        let text = |e: u64| if e == a { "a" } else { "b" };
        assert_eq!(fill_run(&mut part, (0, 2), &[a, b], text), Ok(vec![b]));
        assert_eq!(part, [0, 0, 0, a]);
        assert!(fill_run(&mut part, (0, 2), &[a], text).is_err());
        for twice in [0usize, 4999, 119_998] {
            let mut buf = String::new();
            let mut ends = Vec::new();
            for k in 0..120_000usize {
                buf.push_str(&format!("c{:x}", if k == 120_000 - 1 { twice } else { k }));
                ends.push(buf.len());
            }
            let err = Interner::index_of(&buf, &ends).unwrap_err();
            assert_eq!(err, format!("id \"c{twice:x}\" stored twice"));
        }
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_a_map(words in proptest::collection::vec("[a-c]{0,3}", 0..200)) {
            let mut i = Interner::new();
            let mut map = std::collections::HashMap::new();
            for w in &words {
                let next = map.len() as u32;
                let want = *map.entry(w.clone()).or_insert(next);
                proptest::prop_assert_eq!(i.intern(w), want);
            }
            proptest::prop_assert_eq!(i.len(), map.len());
            for (w, &sym) in &map {
                proptest::prop_assert_eq!(i.lookup(w), Some(sym));
                proptest::prop_assert_eq!(i.get(sym), w.as_str());
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn bulk_interning_agrees_with_one_at_a_time(
            before in proptest::collection::vec("[a-c]{0,2}", 0..20),
            batches in proptest::collection::vec(proptest::collection::vec("[a-c]{0,2}", 0..40), 0..4),
        ) {
            let mut bulk = Interner::new();
            let mut single = Interner::new();
            for w in &before {
                proptest::prop_assert_eq!(bulk.intern(w), single.intern(w));
            }
            for batch in &batches {
                let mut texts = TextColumn::default();
                let hashes: Vec<u64> = batch.iter().map(|w| hash_str(w)).collect();
                for w in batch {
                    texts.push(Some(w));
                }
                let syms = bulk.intern_bulk(&texts, &hashes);
                proptest::prop_assert_eq!(syms.len(), batch.len());
                for (w, &sym) in batch.iter().zip(&syms) {
                    // The same string, and the symbol one at a time gives.
                    proptest::prop_assert_eq!(bulk.get(sym), w.as_str());
                    proptest::prop_assert_eq!(bulk.lookup(w), Some(sym));
                    proptest::prop_assert_eq!(single.intern(w), sym);
                }
            }
            proptest::prop_assert_eq!(bulk.len(), single.len());
        }
    }

    proptest::proptest! {
        /// Gathering equals pushing the named entries one by one: absent
        /// entries, indices past the end and columns that never held text.
        #[test]
        fn gathered_equals_pushed(
            entries in proptest::collection::vec(proptest::option::of("[a-cé]{0,3}"), 0..40),
            order in proptest::collection::vec(0u32..45, 0..100),
        ) {
            let mut column = TextColumn::default();
            for e in &entries {
                column.push(e.as_deref());
            }
            let got = column.gathered(&order);
            let mut want = TextColumn::default();
            for &i in &order {
                want.push(column.get(i as usize));
            }
            proptest::prop_assert_eq!(got.len(), want.len());
            for k in 0..order.len() {
                proptest::prop_assert_eq!(got.get(k), want.get(k));
            }
            // Appending and a serde round trip keep every entry (in tests
            // an offset wraps every 16 bytes, so both cross many wraps).
            let mut joined = column.clone();
            joined.append(&got);
            let back: TextColumn =
                serde_json::from_str(&serde_json::to_string(&joined).unwrap_or_default())
                    .unwrap_or_default();
            proptest::prop_assert_eq!(back.len(), entries.len() + order.len());
            for k in 0..entries.len() {
                proptest::prop_assert_eq!(back.get(k), column.get(k));
            }
            for k in 0..order.len() {
                proptest::prop_assert_eq!(back.get(entries.len() + k), want.get(k));
            }
        }
    }

    proptest::proptest! {
        /// An interner's texts gathered by symbol equal its strings one by
        /// one, unknown and absent symbols empty.
        #[test]
        fn texts_of_equals_get(
            interned in proptest::collection::vec("[a-cé]{0,3}", 0..20),
            syms in proptest::collection::vec(proptest::option::of(0u32..25), 0..60),
        ) {
            let mut i = Interner::new();
            for w in &interned {
                i.intern(w);
            }
            let got = i.texts_of(syms.len(), |k| syms.get(k).copied().flatten());
            proptest::prop_assert_eq!(got.len(), syms.len());
            for (k, sym) in syms.iter().enumerate() {
                let want = sym.map(|s| i.get(s)).filter(|s| !s.is_empty());
                proptest::prop_assert_eq!(got.get(k), want);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn in_order_look_ups_agree_with_single_ones(
            interned in proptest::collection::vec("[a-c]{0,2}", 0..20),
            bulk in proptest::collection::vec("[a-c]{0,2}", 0..20),
            queries in proptest::collection::vec("[a-d]{0,2}", 0..60),
        ) {
            // Interned one at a time, then in bulk.
            let mut i = Interner::new();
            for w in &interned {
                i.intern(w);
            }
            let mut texts = TextColumn::default();
            for w in &bulk {
                texts.push(Some(w));
            }
            let bulk_hashes: Vec<u64> = bulk.iter().map(|w| hash_str(w)).collect();
            i.intern_bulk(&texts, &bulk_hashes);
            // Queries in interning order, then the arbitrary ones.
            let queries: Vec<&str> = interned
                .iter()
                .chain(&bulk)
                .chain(&queries)
                .map(String::as_str)
                .collect();
            let hashes: Vec<u64> = queries.iter().map(|w| hash_str(w)).collect();
            let mut seen = Vec::new();
            i.lookup_in_order(&hashes, |k| queries[k], |k, s, sym| seen.push((k, s, sym)));
            proptest::prop_assert_eq!(seen.len(), queries.len());
            for (k, (at, s, sym)) in seen.into_iter().enumerate() {
                proptest::prop_assert_eq!(at, k);
                proptest::prop_assert_eq!(s, queries[k]);
                proptest::prop_assert_eq!(sym, i.lookup(queries[k]));
            }
        }
    }

    #[test]
    fn bulk_interning_grows_and_keeps_first_symbols() {
        let mut i = Interner::new();
        assert_eq!(i.intern("x"), 0);
        let mut texts = TextColumn::default();
        let mut hashes = Vec::new();
        let mut one_at_a_time = Interner::new();
        one_at_a_time.intern("x");
        let mut expected = Vec::new();
        for n in 0..50_000 {
            let w = if n % 1000 == 7 {
                "x".to_owned()
            } else {
                format!("id{}", n % 40_000)
            };
            hashes.push(hash_str(&w));
            texts.push(Some(&w));
            expected.push(one_at_a_time.intern(&w));
        }
        let syms = i.intern_bulk(&texts, &hashes);
        assert_eq!(syms, expected);
        // Repeats keep the first symbol; symbols stay dense.
        for (n, &sym) in syms.iter().enumerate() {
            if n % 1000 == 7 {
                assert_eq!(sym, 0);
            } else if n >= 40_000 {
                assert_eq!(sym, syms[n - 40_000]);
            }
        }
        assert_eq!(i.len(), one_at_a_time.len());
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

    proptest::proptest! {
        /// A binary format writes the offsets as LEB128 lengths (strings
        /// past 127 and 16383 bytes take two and three bytes) and reads
        /// them back; any other bytes read as an error or a checked
        /// interner, never a panic.
        #[test]
        fn binary_interners_and_columns_round_trip(
            texts in proptest::collection::vec("[a-zé]{0,3}", 0..20),
            long in proptest::collection::vec(0usize..20_000, 0..3),
            noise in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
        ) {
            let mut interner = Interner::default();
            let mut column = TextColumn::default();
            let all: Vec<String> = texts
                .into_iter()
                .chain(long.iter().map(|&n| "x".repeat(n)))
                .collect();
            for t in &all {
                interner.intern(t);
                column.push(Some(t));
            }
            let bytes = postcard::to_allocvec(&interner).unwrap();
            let mut back: Interner = postcard::from_bytes(&bytes).unwrap();
            back.build_index().unwrap();
            for t in &all {
                proptest::prop_assert_eq!(back.lookup(t), interner.lookup(t));
            }
            let bytes = postcard::to_allocvec(&column).unwrap();
            let back: TextColumn = postcard::from_bytes(&bytes).unwrap();
            for (i, t) in all.iter().enumerate() {
                proptest::prop_assert_eq!(back.get(i), Some(t.as_str()).filter(|t| !t.is_empty()));
            }
            if let Ok(mut junk) = postcard::from_bytes::<Interner>(&noise) {
                let _ = junk.build_index();
            }
            let _ = postcard::from_bytes::<TextColumn>(&noise);
        }
    }

    proptest::proptest! {
        #[test]
        fn text_columns_agree_with_a_vec(
            parts in proptest::collection::vec(
                proptest::collection::vec(proptest::option::of("[ab]{0,2}"), 0..6),
                0..5,
            ),
            pad in 0usize..4,
        ) {
            let mut col = TextColumn::default();
            let mut want: Vec<Option<String>> = Vec::new();
            for (k, part) in parts.iter().enumerate() {
                let mut other = TextColumn::default();
                for v in part {
                    other.push(v.as_deref());
                    want.push(v.clone().filter(|s| !s.is_empty()));
                }
                if k % 2 == 0 {
                    col.append(&other);
                } else {
                    for v in part {
                        col.push(v.as_deref());
                    }
                }
                col.pad_to(col.len() + pad);
                want.resize(want.len() + pad, None);
            }
            proptest::prop_assert_eq!(col.len(), want.len());
            for (i, w) in want.iter().enumerate() {
                proptest::prop_assert_eq!(col.get(i), w.as_deref());
            }
            proptest::prop_assert_eq!(col.get(want.len()), None);
        }
    }
}
