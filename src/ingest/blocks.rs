//! The fast path for large event files (contacts, meetings, sales): the
//! file is cut into blocks at record boundaries, blocks are parsed and
//! validated in parallel against the builder's id tables (reps and prospect
//! records are loaded first), and the staged batches are appended in input
//! order. Results are identical to [`read_csv`](super::read_csv): the same
//! cells, rows, rejections and errors.
//!
//! A record boundary is a newline outside quotes. Quotes inside a quoted
//! field are doubled (RFC 4180), so a newline is outside quotes exactly
//! when the number of quote characters before it is even.

use std::io::Read;
use std::path::Path;

use ::csv::StringRecord;

use super::csv::{csv_error, csv_reader, read_header};
use super::{Cell, MAX_COLUMNS, columns, process_event_row, process_prospect_row};
use crate::error::{Error, Result};
use crate::ledger::{EventBatch, LedgerBuilder, ProspectBatch, Resolver};
use crate::model::RecordKind;

/// Bytes per block: large enough to amortise the per-block work, small
/// enough that a window of blocks in flight keeps memory flat.
pub(crate) const BLOCK_BYTES: usize = 4 << 20;

/// One block: whole records, where it starts in the file.
struct Block {
    bytes: Vec<u8>,
    /// Byte offset of the block in the file.
    offset: u64,
    /// 1-based line number of the block's first byte.
    line: u64,
}

/// A batch staged from one block.
pub(crate) trait Batch: Default + Send {
    /// Input rows seen, staged or rejected.
    fn rows(&self) -> u64;
}

impl Batch for EventBatch {
    fn rows(&self) -> u64 {
        self.row_count()
    }
}

impl Batch for ProspectBatch {
    fn rows(&self) -> u64 {
        self.row_count()
    }
}

/// Reads an event file of `kind` (contact, meeting or sale) from `reader`
/// in blocks of about `block_bytes`.
pub(crate) fn read_events(
    kind: RecordKind,
    reader: impl Read,
    source: &Path,
    builder: &mut LedgerBuilder,
    block_bytes: usize,
    size_hint: Option<u64>,
) -> Result<()> {
    read_in_blocks::<EventBatch>(
        kind,
        reader,
        source,
        builder,
        block_bytes,
        &move |resolver, row, cells, batch| process_event_row(kind, row, cells, resolver, batch),
        &move |builder, batch, base| builder.append_batch(kind, batch, base),
        size_hint,
    )
}

/// Reads a prospect record file from `reader` in blocks of about
/// `block_bytes`: parsed in parallel, ids interned in order.
pub(crate) fn read_prospects(
    reader: impl Read,
    source: &Path,
    builder: &mut LedgerBuilder,
    block_bytes: usize,
    size_hint: Option<u64>,
) -> Result<()> {
    read_in_blocks::<ProspectBatch>(
        RecordKind::Prospect,
        reader,
        source,
        builder,
        block_bytes,
        &|_, row, cells, batch| process_prospect_row(row, cells, batch),
        &|builder, batch, base| builder.append_prospects(batch, base),
        size_hint,
    )
}

type Stage<'f, B> = dyn Fn(&Resolver<'_>, u64, &[Cell<'_>], &mut B) + Sync + 'f;
type Append<'f, B> = dyn Fn(&mut LedgerBuilder, B, u64) + 'f;

#[allow(clippy::too_many_arguments)] // one private driver behind two readers
fn read_in_blocks<B: Batch>(
    kind: RecordKind,
    mut reader: impl Read,
    source: &Path,
    builder: &mut LedgerBuilder,
    block_bytes: usize,
    stage: &Stage<'_, B>,
    append: &Append<'_, B>,
    size_hint: Option<u64>,
) -> Result<()> {
    let schema = columns(kind);
    let io = |e: std::io::Error| Error::io(source, e);

    // The header: read until its record is complete.
    let mut pending: Vec<u8> = Vec::new();
    let mut eof = false;
    let (positions, header_end) = loop {
        let mut names = [""; MAX_COLUMNS];
        for (n, c) in names.iter_mut().zip(schema) {
            *n = c.name;
        }
        let header_complete = eof || has_record_end(&pending);
        if header_complete {
            let mut rdr = csv_reader(pending.as_slice());
            let mut record = StringRecord::new();
            let positions = read_header(
                &mut rdr,
                &mut record,
                names.get(..schema.len()).unwrap_or(&[]),
                source,
            )?;
            break (
                positions.unwrap_or([None; MAX_COLUMNS]),
                usize::try_from(rdr.position().byte()).unwrap_or(pending.len()),
            );
        }
        eof = fill(&mut reader, &mut pending, block_bytes).map_err(io)?;
    };
    for (c, p) in schema.iter().zip(&positions) {
        if c.required && p.is_none() {
            return Err(Error::MissingColumn {
                path: source.to_owned(),
                column: c.name.to_owned(),
            });
        }
    }
    // File column → schema slot.
    let mut slot_of_column: Vec<Option<usize>> = Vec::new();
    for (slot, p) in positions.iter().enumerate().take(schema.len()) {
        if let Some(col) = *p {
            if slot_of_column.len() <= col {
                slot_of_column.resize(col + 1, None);
            }
            if let Some(s) = slot_of_column.get_mut(col) {
                *s = Some(slot);
            }
        }
    }
    let header_lines = count_newlines(pending.get(..header_end).unwrap_or(&[]));
    let mut offset = header_end as u64;
    let mut line = 1 + header_lines;
    pending.drain(..header_end.min(pending.len()));

    let window = window_size();
    let mut row_base = 0u64;
    let mut reserved = false;
    loop {
        // Cut up to `window` blocks.
        let mut blocks = Vec::with_capacity(window);
        while blocks.len() < window {
            while !eof && pending.len() < block_bytes {
                eof = fill(&mut reader, &mut pending, block_bytes).map_err(io)?;
            }
            let cut = if eof {
                pending.len()
            } else {
                match last_record_end(&pending) {
                    Some(c) => c,
                    None => {
                        // One record longer than a block: read on.
                        eof = fill(&mut reader, &mut pending, block_bytes).map_err(io)?;
                        continue;
                    }
                }
            };
            if cut == 0 {
                break;
            }
            let rest = pending.split_off(cut);
            let bytes = std::mem::replace(&mut pending, rest);
            let lines = count_newlines(&bytes);
            blocks.push(Block {
                bytes,
                offset,
                line,
            });
            offset += cut as u64;
            line += lines;
        }
        if blocks.is_empty() {
            break;
        }
        let resolver = builder.resolver();
        let parse = |b: &Block| {
            parse_block(
                b,
                &slot_of_column,
                schema.len(),
                source,
                |row, cells, batch| stage(&resolver, row, cells, batch),
            )
        };
        #[cfg(feature = "parallel")]
        let batches: Vec<Result<B>> = {
            use rayon::prelude::*;
            blocks.par_iter().map(parse).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let batches: Vec<Result<B>> = blocks.iter().map(parse).collect();
        let window_bytes: u64 = blocks.iter().map(|b| b.bytes.len() as u64).sum();
        for batch in batches {
            let batch = batch?;
            let rows = batch.rows();
            append(builder, batch, row_base);
            row_base += rows;
        }
        // After the first window, reserve for the rest of the file at the
        // rows-per-byte seen so far.
        if !reserved && let Some(total) = size_hint {
            reserved = true;
            let rest = total.saturating_sub(offset);
            let per_byte = row_base as f64 / (window_bytes.max(1)) as f64;
            builder.reserve(kind, (rest as f64 * per_byte * 1.05) as usize);
        }
        if eof && pending.is_empty() {
            break;
        }
    }
    Ok(())
}

fn window_size() -> usize {
    #[cfg(feature = "parallel")]
    {
        2 * rayon::current_num_threads()
    }
    #[cfg(not(feature = "parallel"))]
    {
        1
    }
}

/// Reads up to `at_least` more bytes; `true` at end of input.
fn fill(reader: &mut impl Read, buf: &mut Vec<u8>, at_least: usize) -> std::io::Result<bool> {
    let start = buf.len();
    buf.resize(start + at_least.max(1 << 16), 0);
    let mut filled = start;
    loop {
        let slice = buf.get_mut(filled..).unwrap_or(&mut []);
        if slice.is_empty() {
            break;
        }
        match reader.read(slice) {
            Ok(0) => {
                buf.truncate(filled);
                return Ok(true);
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(false)
}

fn count_newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// Whether `bytes` (starting at a record boundary) holds a complete record.
fn has_record_end(bytes: &[u8]) -> bool {
    last_record_end(bytes).is_some()
}

/// The end (just past the newline) of the last complete record in `bytes`,
/// which starts at a record boundary.
fn last_record_end(bytes: &[u8]) -> Option<usize> {
    let quotes = memchr::memchr_iter(b'"', bytes).count();
    if quotes == 0 {
        return memchr::memrchr(b'\n', bytes).map(|i| i + 1);
    }
    // Walk back from the end: a newline is outside quotes when the quotes
    // before it are even, i.e. quotes after it have the parity of all.
    let mut after = 0usize;
    for (i, &b) in bytes.iter().enumerate().rev() {
        match b {
            b'"' => after += 1,
            b'\n' if (quotes - after) % 2 == 0 => return Some(i + 1),
            _ => {}
        }
    }
    None
}

fn parse_block<B: Batch>(
    block: &Block,
    slot_of_column: &[Option<usize>],
    width: usize,
    source: &Path,
    stage: impl Fn(u64, &[Cell<'_>], &mut B),
) -> Result<B> {
    let mut batch = B::default();
    let simple = memchr::memchr2(b'"', b'\r', &block.bytes).is_none();
    if simple {
        let text = std::str::from_utf8(&block.bytes)
            .map_err(|e| utf8_error(block, e.valid_up_to(), source))?;
        let mut row = 0u64;
        for record in text.split('\n') {
            if record.is_empty() {
                continue; // blank lines are not rows (as in the csv crate)
            }
            row += 1;
            let mut cells = [Cell::Absent; MAX_COLUMNS];
            for (col, field) in record.split(',').enumerate() {
                if let Some(Some(slot)) = slot_of_column.get(col)
                    && !field.is_empty()
                    && let Some(c) = cells.get_mut(*slot)
                {
                    *c = Cell::Text(field);
                }
            }
            let cells = cells.get(..width).unwrap_or(&[]);
            stage(row, cells, &mut batch);
        }
    } else {
        // Quotes or carriage returns: the csv crate's own parser on this
        // block, positions shifted to the file's.
        let mut rdr = csv_reader(block.bytes.as_slice());
        let mut record = StringRecord::new();
        let mut row = 0u64;
        loop {
            match rdr.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(shift_error(csv_error(e, source), block)),
            }
            row += 1;
            let mut cells = [Cell::Absent; MAX_COLUMNS];
            for (col, field) in record.iter().enumerate() {
                if let Some(Some(slot)) = slot_of_column.get(col)
                    && !field.is_empty()
                    && let Some(c) = cells.get_mut(*slot)
                {
                    *c = Cell::Text(field);
                }
            }
            let cells = cells.get(..width).unwrap_or(&[]);
            stage(row, cells, &mut batch);
        }
    }
    Ok(batch)
}

/// The error of invalid UTF-8 at byte `at` of a simple block, worded like
/// the csv crate's.
fn utf8_error(block: &Block, at: usize, source: &Path) -> Error {
    let bytes = &block.bytes;
    let record_start = memchr::memrchr(b'\n', bytes.get(..at).unwrap_or(&[])).map_or(0, |i| i + 1);
    let line = block.line + count_newlines(bytes.get(..record_start).unwrap_or(&[]));
    let in_record = bytes.get(record_start..at).unwrap_or(&[]);
    let field_start = memchr::memrchr(b',', in_record).map_or(0, |i| i + 1);
    let field = memchr::memchr_iter(b',', in_record).count();
    Error::Malformed {
        path: source.to_owned(),
        position: format!(
            "record starting at line {line}, byte {}, field {} after {} valid bytes",
            block.offset + record_start as u64,
            field + 1,
            in_record.len() - field_start
        ),
        message: "invalid UTF-8".to_owned(),
    }
}

/// Shifts the "line L, byte B" of an error found inside a block to the
/// file's numbering.
fn shift_error(e: Error, block: &Block) -> Error {
    match e {
        Error::Malformed {
            path,
            position,
            message,
        } => Error::Malformed {
            path,
            position: shift_position(&position, block),
            message,
        },
        other => other,
    }
}

fn shift_position(position: &str, block: &Block) -> String {
    let mut out = String::with_capacity(position.len() + 8);
    let mut words = position.split(' ').peekable();
    let mut first = true;
    while let Some(w) = words.next() {
        if !first {
            out.push(' ');
        }
        first = false;
        out.push_str(w);
        let shift = match w {
            "line" => Some(block.line.saturating_sub(1)),
            "byte" => Some(block.offset),
            _ => None,
        };
        if let Some(shift) = shift
            && let Some(n) = words.peek()
        {
            let (digits, rest) =
                n.split_at(n.find(|c: char| !c.is_ascii_digit()).unwrap_or(n.len()));
            if let Ok(v) = digits.parse::<u64>() {
                out.push(' ');
                out.push_str(&(v + shift).to_string());
                out.push_str(rest);
                words.next();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::read_csv;
    use crate::ledger::Mode;
    use proptest::prelude::*;

    fn prepare(b: &mut LedgerBuilder) {
        b.mode(Mode::Lenient);
        let reps = "rep_id\nana\nbob\n";
        let prospects = "prospect_id\np1\np2\n";
        let _ = read_csv(RecordKind::Rep, reps.as_bytes(), Path::new("reps.csv"), b);
        let _ = read_csv(
            RecordKind::Prospect,
            prospects.as_bytes(),
            Path::new("p.csv"),
            b,
        );
    }

    fn outcome(b: LedgerBuilder) -> String {
        match b.build() {
            Ok(l) => {
                let mut s = format!("{:?}\n", l.rejections());
                for (i, c) in l.contacts().iter().enumerate() {
                    s.push_str(&format!("{} {:?}\n", l.contact_id(i as u32), c));
                }
                for (i, m) in l.meetings().iter().enumerate() {
                    s.push_str(&format!("{} {:?}\n", l.meeting_id(i as u32), m));
                }
                for r in l.records().iter() {
                    s.push_str(&format!("{r:?}\n"));
                }
                for (i, x) in l.sales().iter().enumerate() {
                    s.push_str(&format!(
                        "{} {:?} {}\n",
                        l.sale_id(i as u32),
                        x,
                        l.currency(x.currency)
                    ));
                }
                for k in RecordKind::ALL {
                    s.push_str(&format!("{k}: {} in\n", l.input_count(k)));
                }
                s
            }
            Err(e) => format!("error {e}"),
        }
    }

    fn both(kind: RecordKind, body: &[u8], block: usize) -> (String, String) {
        let mut seq = LedgerBuilder::new();
        prepare(&mut seq);
        let a = match read_csv(kind, body, Path::new("f.csv"), &mut seq) {
            Ok(()) => outcome(seq),
            Err(e) => format!("read error {e}"),
        };
        let mut fast = LedgerBuilder::new();
        prepare(&mut fast);
        let read = if kind == RecordKind::Prospect {
            read_prospects(
                body,
                Path::new("f.csv"),
                &mut fast,
                block,
                Some(body.len() as u64),
            )
        } else {
            read_events(
                kind,
                body,
                Path::new("f.csv"),
                &mut fast,
                block,
                Some(body.len() as u64),
            )
        };
        let b = match read {
            Ok(()) => outcome(fast),
            Err(e) => format!("read error {e}"),
        };
        (a, b)
    }

    #[test]
    fn record_ends_respect_quotes() {
        assert_eq!(last_record_end(b"a,b\nc,d\ne"), Some(8));
        assert_eq!(last_record_end(b"a,\"b\nc\"\ne"), Some(8));
        assert_eq!(last_record_end(b"a,\"b\nc"), Some(0).filter(|_| false));
        assert_eq!(last_record_end(b"x\na,\"b\nc"), Some(2));
        assert_eq!(last_record_end(b"a,\"\"\"\"\nb"), Some(7));
    }

    #[test]
    fn same_result_as_the_sequential_reader() {
        let body = "contact_id,rep_id,prospect_id,occurred_at,channel,extra,duration_s\n\
            c1,ana,p1,2026-06-01T09:00:00Z,phone,x,5\n\
            \n\
            c2,bob,p2,2026-06-01T09:00:00Z,EMAIL,,\n\
            c3,ana,p9,2026-06-01T09:00:00Z,phone\n\
            c1,ana,p1,2026-06-01T09:00:00Z,phone,,\n\
            c4,zed,p1,bad,phone\n\
            \"c5\",\"ana\",\"p1\",\"2026-06-01T10:00:00Z\",\"phone\",\"multi\nline\",\"7\"\r\n\
            c6,ana,p2,2026-06-02T09:00:00+03:00,other,,-3\n";
        for block in [1, 7, 30, 64, 1 << 20] {
            let (a, b) = both(RecordKind::Contact, body.as_bytes(), block);
            assert_eq!(a, b, "block {block}");
        }
    }

    #[test]
    fn utf8_errors_name_the_same_record() {
        let mut body =
            b"meeting_id,rep_id,prospect_id,held_at\nm1,ana,p1,2026-06-01T09:00:00Z\nm2,ana,p"
                .to_vec();
        body.extend_from_slice(&[0xff]);
        body.extend_from_slice(b"1,2026-06-01T09:00:00Z\n");
        for block in [8, 1 << 20] {
            let (a, b) = both(RecordKind::Meeting, &body, block);
            assert!(a.contains("line 3") && a.contains("byte 69"), "{a}");
            assert!(
                b.contains("line 3") && b.contains("byte 69") && a == b,
                "{b}"
            );
        }
    }

    fn cell() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just("ana".to_owned()),
            Just("p1".to_owned()),
            Just("p2".to_owned()),
            Just("2026-06-01T09:00:00Z".to_owned()),
            Just("phone".to_owned()),
            Just("12".to_owned()),
            Just("RON".to_owned()),
            Just("\"q,\"\"x\"\"\ny\"".to_owned()),
            "[a-z0-9 ]{0,4}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]
        #[test]
        fn blocks_agree_with_the_sequential_reader(
            kind in prop::sample::select(vec![RecordKind::Prospect, RecordKind::Contact, RecordKind::Meeting, RecordKind::Sale]),
            rows in prop::collection::vec(prop::collection::vec(cell(), 0..8), 0..30),
            crlf in any::<bool>(),
            block in 1usize..200,
        ) {
            let header: Vec<&str> = columns(kind).iter().map(|c| c.name).collect();
            let nl = if crlf { "\r\n" } else { "\n" };
            let mut body = header.join(",");
            body.push_str(nl);
            for (i, r) in rows.iter().enumerate() {
                let mut cells = r.clone();
                if let Some(first) = cells.first_mut() && first.is_empty() && i % 2 == 0 {
                    *first = format!("id{}", i % 5);
                }
                body.push_str(&cells.join(","));
                body.push_str(nl);
            }
            let (a, b) = both(kind, body.as_bytes(), block);
            prop_assert_eq!(a, b);
        }
    }
}
