//! Where CSV records begin and end, and whether a quoted field is still
//! open, found exactly as the csv crate's parser (csv-core, RFC 4180)
//! finds them, but only at the bytes that matter: quotes and line ends.
//!
//! The parser's rule: a quote opens a quoted field only where a field
//! starts (at the start of a record or right after a comma); anywhere else
//! it is an ordinary byte. Inside a quoted field a doubled quote is a
//! literal quote and a single one closes the field. Outside quotes, `\r`,
//! `\n` and `\r\n` each end a record; line ends before a record's first
//! byte are blank lines, not records. A UTF-8 byte order mark is dropped
//! when it begins the parser's first input of at least three bytes.
//!
//! Two users share the rule, so that they cannot disagree: the block
//! cutter ([`Scan::feed_cuts`], which looks at quotes only and keeps the
//! per-byte work of quote-free data to one `memchr`), and [`Tracked`], a
//! reader between a source and the csv parser that notes where each
//! record starts (for exact error positions) and whether the input ended
//! inside a quoted field (which the parser accepts silently).

use std::collections::VecDeque;
use std::io::Read;

use memchr::{memchr, memchr3, memrchr};

const BOM: &[u8] = b"\xef\xbb\xbf";

/// Where a record or a quote starts: file byte offset and 1-based line
/// (lines count `\n` bytes, as the csv crate counts them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct At {
    pub(crate) byte: u64,
    pub(crate) line: u64,
}

/// The parser's state between two bytes, reduced to what decides where
/// records end.
#[derive(Debug, Clone, Copy)]
enum State {
    /// Outside quotes. `record`: no byte of a record since the last line
    /// end (line ends here are blank lines); `field`: the next byte starts
    /// a field, so a quote there opens a quoted field.
    Outside { record: bool, field: bool },
    /// Inside the quoted field whose opening quote is at file byte `open`.
    Quoted { open: u64 },
    /// Just after a quote inside that field: a second quote makes a
    /// literal quote, anything else closes the field.
    QuoteInQuoted { open: u64 },
}

/// What a scan reports besides its state.
trait Marks {
    /// Whether record starts are wanted (then line ends are looked at
    /// too, not only quotes).
    const RECORDS: bool;
    /// A record starts at chunk index `at`.
    fn record(&mut self, at: usize);
    /// A quoted field opens at chunk index `at`.
    fn quote(&mut self, at: usize);
}

/// The cutter's marks: none.
struct NoMarks;

impl Marks for NoMarks {
    const RECORDS: bool = false;
    fn record(&mut self, _: usize) {}
    fn quote(&mut self, _: usize) {}
}

/// The parser's view of a stream, fed chunk by chunk in order.
#[derive(Debug, Clone)]
pub(crate) struct Scan {
    state: State,
    /// The next non-empty chunk is the parser's first input (a BOM
    /// starting it is dropped).
    first: bool,
}

impl Scan {
    /// A scan at the start of a file (a BOM is dropped as the parser drops
    /// it), or at a record boundary inside one (`file_start` false).
    pub(crate) fn new(file_start: bool) -> Self {
        Self {
            state: State::Outside {
                record: true,
                field: true,
            },
            first: file_start,
        }
    }

    /// The file byte of the opening quote of a quoted field still open
    /// after the bytes fed so far.
    pub(crate) fn open_quote(&self) -> Option<u64> {
        match self.state {
            State::Quoted { open } => Some(open),
            _ => None,
        }
    }

    /// Feeds the next chunk (`base` is the file offset of `bytes[0]`) and
    /// returns the end (just past the `\n`) of the last record that ends in
    /// it with a `\n` outside quotes: a point where the parser is between
    /// records. Only quotes are inspected one by one.
    pub(crate) fn feed_cuts(&mut self, bytes: &[u8], base: u64) -> Option<usize> {
        self.feed(bytes, base, &mut NoMarks)
    }

    /// Feeds `bytes` (file offset `base`), reporting record starts and
    /// opening quotes to `marks` when it wants them; returns the end of the
    /// last `\n` outside quotes (only when `M::RECORDS` is false).
    fn feed<M: Marks>(&mut self, bytes: &[u8], base: u64, marks: &mut M) -> Option<usize> {
        let mut i = 0;
        if std::mem::take(&mut self.first) && bytes.starts_with(BOM) {
            i = BOM.len();
        }
        let mut last_end = None;
        loop {
            let rest = bytes.get(i..).unwrap_or(&[]);
            match self.state {
                State::Quoted { open } => match memchr(b'"', rest) {
                    None => break,
                    Some(k) => {
                        i += k + 1;
                        self.state = State::QuoteInQuoted { open };
                    }
                },
                State::QuoteInQuoted { open } => match rest.first() {
                    None => break,
                    Some(b'"') => {
                        i += 1;
                        self.state = State::Quoted { open };
                    }
                    Some(_) => {
                        self.state = State::Outside {
                            record: false,
                            field: false,
                        }
                    }
                },
                State::Outside { record, field } => {
                    // The next byte that can change the state: a quote, and
                    // when records are wanted a line end.
                    let hit = if M::RECORDS {
                        memchr3(b'"', b'\r', b'\n', rest)
                    } else {
                        memchr(b'"', rest)
                    };
                    let end = hit.map_or(bytes.len(), |k| i + k);
                    let (mut record, mut field) = (record, field);
                    if let Some(segment) = bytes.get(i..end)
                        && let Some(&last) = segment.last()
                    {
                        if M::RECORDS {
                            // No line end in the segment: a record starts
                            // at its first byte if none had started.
                            if record {
                                marks.record(i);
                            }
                            record = false;
                        } else if let Some(k) = memrchr(b'\n', segment) {
                            last_end = Some(i + k + 1);
                        }
                        field = matches!(last, b',' | b'\r' | b'\n');
                    }
                    let Some(k) = hit else {
                        self.state = State::Outside { record, field };
                        break;
                    };
                    let at = i + k;
                    i = at + 1;
                    self.state = match bytes.get(at) {
                        Some(b'"') => {
                            if record {
                                marks.record(at);
                            }
                            if field {
                                marks.quote(at);
                                State::Quoted {
                                    open: base + at as u64,
                                }
                            } else {
                                State::Outside {
                                    record: false,
                                    field: false,
                                }
                            }
                        }
                        // A line end (only looked for with RECORDS).
                        _ => State::Outside {
                            record: true,
                            field: true,
                        },
                    };
                }
            }
        }
        last_end
    }
}

/// A reader between a source and the csv parser that scans what the
/// parser reads: the start of every record (in order, for
/// [`Tracked::next_start`]) and a quoted field left open at the end.
pub(crate) struct Tracked<R> {
    inner: R,
    scan: Scan,
    /// File offset and line of the next byte read.
    next: At,
    starts: VecDeque<At>,
    /// Where the quoted field still open (if any) started.
    open: Option<At>,
    eof: bool,
    /// Hand the parser at most two bytes first, so that it never takes a
    /// block's leading bytes for a file's byte order mark.
    short_first: bool,
}

impl<R: Read> Tracked<R> {
    /// Tracks a whole file read from its start.
    pub(crate) fn file(inner: R) -> Self {
        Self::new(inner, true, At { byte: 0, line: 1 })
    }

    /// Tracks a block of whole records starting at file byte `offset`;
    /// lines count from 1 at the block's first byte.
    pub(crate) fn block(inner: R, offset: u64) -> Self {
        Self::new(
            inner,
            false,
            At {
                byte: offset,
                line: 1,
            },
        )
    }

    fn new(inner: R, file_start: bool, next: At) -> Self {
        Self {
            inner,
            scan: Scan::new(file_start),
            next,
            starts: VecDeque::new(),
            open: None,
            eof: false,
            short_first: !file_start,
        }
    }

    /// The start of the next record the parser returns (call once per
    /// record, in order).
    pub(crate) fn next_start(&mut self) -> Option<At> {
        self.starts.pop_front()
    }

    /// Where the quoted field that runs to the end of the input started,
    /// once the parser has read past its opening quote (`consumed` is the
    /// file offset the parser has reached).
    pub(crate) fn unterminated(&self, consumed: u64) -> Option<At> {
        self.open
            .filter(|o| self.eof && self.scan.open_quote().is_some() && consumed > o.byte)
    }
}

/// Record starts and quotes of one chunk, with their lines.
struct LineMarks<'a> {
    bytes: &'a [u8],
    base: At,
    /// `bytes[..counted]` holds `line - base.line` newlines.
    counted: usize,
    line: u64,
    starts: &'a mut VecDeque<At>,
    open: &'a mut Option<At>,
}

impl LineMarks<'_> {
    fn at(&mut self, i: usize) -> At {
        let seen = self.bytes.get(self.counted..i).unwrap_or(&[]);
        self.line += memchr::memchr_iter(b'\n', seen).count() as u64;
        self.counted = i.max(self.counted);
        At {
            byte: self.base.byte + i as u64,
            line: self.line,
        }
    }
}

impl Marks for LineMarks<'_> {
    const RECORDS: bool = true;

    fn record(&mut self, at: usize) {
        let at = self.at(at);
        self.starts.push_back(at);
    }

    fn quote(&mut self, at: usize) {
        *self.open = Some(self.at(at));
    }
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let limit = if std::mem::take(&mut self.short_first) {
            buf.len().min(2)
        } else {
            buf.len()
        };
        let Some(buf) = buf.get_mut(..limit) else {
            return Ok(0);
        };
        let n = self.inner.read(buf)?;
        if n == 0 {
            self.eof |= !buf.is_empty();
            return Ok(0);
        }
        let bytes = buf.get(..n).unwrap_or(&[]);
        let mut marks = LineMarks {
            bytes,
            base: self.next,
            counted: 0,
            line: self.next.line,
            starts: &mut self.starts,
            open: &mut self.open,
        };
        self.scan.feed(bytes, self.next.byte, &mut marks);
        let rest = bytes.get(marks.counted..).unwrap_or(&[]);
        self.next = At {
            byte: self.next.byte + n as u64,
            line: marks.line + memchr::memchr_iter(b'\n', rest).count() as u64,
        };
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Record starts and the open quote by a byte-at-a-time model of
    /// csv-core's states.
    fn model(bytes: &[u8], file_start: bool) -> (Vec<usize>, Option<usize>) {
        #[derive(PartialEq)]
        enum S {
            StartRecord,
            StartField,
            InField,
            Quoted,
            QuoteInQuoted,
        }
        let mut s = S::StartRecord;
        let (mut starts, mut open) = (Vec::new(), None);
        let skip = if file_start && bytes.starts_with(BOM) {
            3
        } else {
            0
        };
        for (i, &b) in bytes.iter().enumerate().skip(skip) {
            let term = b == b'\r' || b == b'\n';
            s = match s {
                S::StartRecord if term => S::StartRecord,
                S::StartRecord | S::StartField => {
                    if s == S::StartRecord {
                        starts.push(i);
                    }
                    match b {
                        b'"' => {
                            open = Some(i);
                            S::Quoted
                        }
                        b',' => S::StartField,
                        _ if term => S::StartRecord,
                        _ => S::InField,
                    }
                }
                S::InField | S::QuoteInQuoted if b == b'"' && s == S::QuoteInQuoted => S::Quoted,
                S::InField | S::QuoteInQuoted => match b {
                    b',' => S::StartField,
                    _ if term => S::StartRecord,
                    _ => S::InField,
                },
                S::Quoted if b == b'"' => S::QuoteInQuoted,
                S::Quoted => S::Quoted,
            };
        }
        (starts, open.filter(|_| s == S::Quoted))
    }

    fn tracked(bytes: &[u8], chunk: usize) -> (Vec<usize>, Option<usize>) {
        let mut t = Tracked::file(bytes);
        let mut buf = vec![0; chunk];
        while t.read(&mut buf).unwrap_or(0) > 0 {}
        let starts = std::iter::from_fn(|| t.next_start())
            .map(|a| a.byte as usize)
            .collect();
        let open = t.unterminated(u64::MAX).map(|a| a.byte as usize);
        (starts, open)
    }

    use proptest::prelude::*;

    proptest! {
        #[test]
        fn scan_follows_the_parser_states(
            text in prop::collection::vec(
                prop::sample::select(vec![b'"', b',', b'\r', b'\n', b'a', 0xef, 0xbb, 0xbf]),
                0..60,
            ),
            chunk in 1usize..9,
        ) {
            let (starts, open) = model(&text, true);
            let (t_starts, t_open) = tracked(&text, chunk.max(3));
            prop_assert_eq!(&t_starts, &starts);
            prop_assert_eq!(t_open, open);
            // Cuts: every `\n` outside quotes ends a record.
            let mut scan = Scan::new(true);
            let cut = scan.feed_cuts(&text, 0);
            prop_assert_eq!(scan.open_quote().map(|o| o as usize), open);
            if let Some(c) = cut {
                prop_assert_eq!(text.get(c - 1), Some(&b'\n'));
                let (rest_starts, _) = model(text.get(c..).unwrap_or(&[]), false);
                let after: Vec<usize> = starts.iter().filter(|&&s| s >= c).map(|s| s - c).collect();
                prop_assert_eq!(rest_starts, after);
            }
        }
    }
}
