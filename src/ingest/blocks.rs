//! The fast path for large files (prospect records, contacts, meetings,
//! sales, prospect partitions): the file is cut into blocks at record
//! boundaries, blocks are parsed and validated in parallel against the
//! builder's id tables (reps and prospect records are loaded first), and
//! the staged batches are appended in input order. Results are identical
//! to [`read_csv`](super::read_csv): the same cells, rows, rejections and
//! errors.
//!
//! With the `parallel` feature a reader thread cuts the next blocks while
//! the current ones are parsed, and block buffers are recycled, so the file
//! is copied once into memory that is already mapped.
//!
//! A record boundary is a newline outside quotes. Quotes inside a quoted
//! field are doubled (RFC 4180), so a newline is outside quotes exactly
//! when the number of quote characters before it is even.

use std::io::Read;
use std::path::Path;

use ::csv::StringRecord;

use super::csv::{RecordReader, read_header, utf8_error};
use super::partition::SuppliedPartition;
use super::scan::{At, Scan};
use super::stage::{EventBatch, ProspectBatch, Resolver, Staging};
use super::{Cell, Column, MAX_COLUMNS, columns, process_event_row, process_prospect_row};
use crate::error::{Error, Result};
use crate::intern::TextColumn;
use crate::model::RecordKind;
use crate::par;

/// Bytes per block: large enough to amortise the per-block work, small
/// enough that a window of blocks in flight keeps memory flat.
pub(crate) const BLOCK_BYTES: usize = 4 << 20;

/// The block size for a file of `size` bytes: at most [`BLOCK_BYTES`], and
/// small enough that a file is cut into many blocks (threads then start
/// sooner and finish together), but not below 256 KiB.
pub(crate) fn block_bytes_for(size: Option<u64>) -> usize {
    const MIN: u64 = 256 << 10;
    size.map_or(BLOCK_BYTES, |s| {
        usize::try_from((s / 64).clamp(MIN, BLOCK_BYTES as u64)).unwrap_or(BLOCK_BYTES)
    })
}

/// One block: whole records, where it starts in the file.
struct Block {
    /// `buf[..len]` holds the records; the rest is spare room kept for
    /// reuse.
    buf: Vec<u8>,
    len: usize,
    /// Byte offset of the block in the file.
    offset: u64,
}

impl Block {
    fn bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

/// A batch staged from one block.
pub(crate) trait Batch: Default + Send {
    /// Input rows seen, staged or rejected.
    fn rows(&self) -> u64;

    /// Completes staging once every row of the block is in (still on the
    /// parsing thread).
    fn finish(&mut self, _resolver: &Resolver<'_>) {}

    /// Empties the batch, keeping its allocations for the next block.
    fn clear(&mut self);
}

impl Batch for EventBatch {
    fn rows(&self) -> u64 {
        self.row_count()
    }

    fn finish(&mut self, resolver: &Resolver<'_>) {
        EventBatch::finish(self, resolver);
    }

    fn clear(&mut self) {
        EventBatch::clear(self);
    }
}

impl Batch for ProspectBatch {
    fn rows(&self) -> u64 {
        self.row_count()
    }

    fn clear(&mut self) {
        ProspectBatch::clear(self);
    }
}

/// Rows of a `prospect_clusters.csv` block.
#[derive(Default)]
struct PartitionBatch {
    rows: u64,
    ids: TextColumn,
    labels: TextColumn,
    /// The first row with an empty cell: (batch-local row, block-local
    /// line, column).
    empty: Option<(u64, u64, &'static str)>,
}

impl Batch for PartitionBatch {
    fn rows(&self) -> u64 {
        self.rows
    }

    fn clear(&mut self) {
        self.rows = 0;
        self.ids.clear();
        self.labels.clear();
        self.empty = None;
    }
}

/// Where a row is: its 1-based row number within the block's batch and
/// the 1-based line it starts on within the block (lines are counted
/// while parsing; the driver shifts them to the file's, in order).
#[derive(Clone, Copy)]
struct RowAt {
    row: u64,
    line: u64,
}

/// Rows and lines of the source before a block.
#[derive(Clone, Copy)]
struct Before {
    rows: u64,
    lines: u64,
}

/// Stages one row into a batch.
type Stage<'f, B> = dyn Fn(&Resolver<'_>, RowAt, &[Cell<'_>], &mut B) + Sync + 'f;

/// Appends a batch's rows, shifted by the rows of the source before it,
/// to the part of the sink rows go to (the batch is then cleared and
/// reused).
type Appender<'s, B> = Box<dyn FnMut(&mut B, u64) + Send + 's>;

/// Splits a sink into what staging reads (see [`Plan::split`]).
type Split<'f, S, B> = dyn for<'s> Fn(&'s mut S) -> (Resolver<'s>, Appender<'s, B>) + Sync + 'f;

/// What one file's reading does with rows: stage them into batches (in
/// parallel, against the sink's read-only id tables) and append batches
/// to the sink (in input order).
struct Plan<'f, S, B> {
    schema: &'static [Column],
    stage: &'f Stage<'f, B>,
    /// The part of appending a batch that needs the whole sink (counting
    /// rows, taking rejections, interning ids seen first), in input order
    /// between windows; given the rows and lines of the source before the
    /// batch.
    prepare: &'f (dyn Fn(&mut S, &mut B, Before) -> Result<()> + Sync + 'f),
    /// The sink borrowed apart: the id tables staging resolves against,
    /// and an appender of rows that leaves them alone. Rows of one window
    /// are appended while the next window is staged.
    split: &'f Split<'f, S, B>,
    /// Makes room for about this many more rows.
    reserve: &'f (dyn Fn(&mut S, usize) + Sync + 'f),
}

/// Reads an event file of `kind` (contact, meeting or sale) from `reader`
/// in blocks of about `block_bytes`.
pub(crate) fn read_events(
    kind: RecordKind,
    reader: impl Read + Send,
    source: &Path,
    builder: &mut Staging,
    block_bytes: usize,
    size_hint: Option<u64>,
) -> Result<()> {
    let plan = Plan::<Staging, EventBatch> {
        schema: columns(kind),
        stage: &move |resolver, at, cells, batch| {
            process_event_row(kind, at.row, cells, resolver, batch);
        },
        prepare: &move |builder, batch, before| {
            builder.prepare_batch(kind, batch, before.rows);
            Ok(())
        },
        split: &move |builder| {
            let (resolver, mut rows) = builder.split_for_events();
            (
                resolver,
                Box::new(move |batch, base| rows.append(kind, batch, base)),
            )
        },
        reserve: &move |builder, n| builder.reserve(kind, n),
    };
    read_in_blocks(&plan, reader, source, builder, block_bytes, size_hint)
}

/// Reads a prospect record file from `reader` in blocks of about
/// `block_bytes`: parsed in parallel, ids interned in order (while the
/// next blocks are parsed).
pub(crate) fn read_prospects(
    reader: impl Read + Send,
    source: &Path,
    builder: &mut Staging,
    block_bytes: usize,
    size_hint: Option<u64>,
) -> Result<()> {
    let keep_details = builder.keeps_prospect_details();
    let plan = Plan::<Staging, ProspectBatch> {
        schema: columns(RecordKind::Prospect),
        stage: &move |_, at, cells, batch| {
            process_prospect_row(at.row, cells, batch, keep_details);
        },
        prepare: &|_, _, _| Ok(()),
        // Staging needs no id table: the whole builder is the appender.
        split: &|builder| {
            (
                Resolver::empty(),
                Box::new(move |batch, base| builder.append_prospects(batch, base)),
            )
        },
        reserve: &|builder, n| builder.reserve(RecordKind::Prospect, n),
    };
    read_in_blocks(&plan, reader, source, builder, block_bytes, size_hint)
}

/// The columns of `prospect_clusters.csv` (SPEC §11); others are ignored.
const PARTITION_COLUMNS: &[Column] = &[
    Column {
        name: "prospect_id",
        required: true,
        ty: super::Ty::Text,
    },
    Column {
        name: "cluster_id",
        required: true,
        ty: super::Ty::Text,
    },
];

/// Reads a prospect partition (`prospect_id,cluster_id`) into `partition`
/// in blocks of about `block_bytes`. A row with an empty cell is an error
/// (a row that joins nothing to nothing), named by row and line.
pub(crate) fn read_partition(
    reader: impl Read + Send,
    source: &Path,
    partition: &mut SuppliedPartition,
    block_bytes: usize,
    size_hint: Option<u64>,
) -> Result<()> {
    let plan = Plan::<SuppliedPartition, PartitionBatch> {
        schema: PARTITION_COLUMNS,
        stage: &|_, at, cells, batch| {
            batch.rows += 1;
            let text = |i: usize| match cells.get(i) {
                Some(Cell::Text(s)) => Some(*s),
                _ => None,
            };
            let (id, label) = (text(0), text(1));
            if batch.empty.is_none() {
                let missing = match (id, label) {
                    (None, _) => Some("prospect_id"),
                    (_, None) => Some("cluster_id"),
                    _ => None,
                };
                if let Some(column) = missing {
                    batch.empty = Some((at.row, at.line, column));
                }
            }
            batch.ids.push(id);
            batch.labels.push(label);
        },
        prepare: &|_, batch, before| match batch.empty {
            Some((row, line, column)) => Err(Error::Malformed {
                path: source.to_owned(),
                position: format!("row {} (line {})", before.rows + row, before.lines + line),
                message: format!("empty `{column}`"),
            }),
            None => Ok(()),
        },
        split: &|partition| {
            (
                Resolver::empty(),
                Box::new(move |batch, _| partition.append_columns(&batch.ids, &batch.labels)),
            )
        },
        reserve: &|partition, n| partition.reserve(n),
    };
    read_in_blocks(&plan, reader, source, partition, block_bytes, size_hint)
}

/// Cuts a reader into blocks of whole records.
struct Cutter<R> {
    reader: R,
    /// `buf[..len]` is read and not yet cut.
    buf: Vec<u8>,
    len: usize,
    eof: bool,
    /// File offset of `buf[0]`.
    offset: u64,
    block_bytes: usize,
    /// The parser's state at `buf[scanned]`, followed from the file's
    /// start without a break (cuts do not reset it).
    scan: Scan,
    scanned: usize,
    /// Just past the last `\n` outside quotes in `buf[..scanned]`; 0 when
    /// there is none.
    last_end: usize,
}

impl<R: Read> Cutter<R> {
    fn new(reader: R, block_bytes: usize) -> Self {
        Self {
            reader,
            buf: Vec::new(),
            len: 0,
            eof: false,
            offset: 0,
            block_bytes: block_bytes.max(1),
            scan: Scan::new(true),
            scanned: 0,
            last_end: 0,
        }
    }

    /// Reads about a block more (or to end of input) and scans it.
    fn fill(&mut self) -> std::io::Result<()> {
        let want = self.len + self.read_step();
        if self.buf.len() < want {
            // Only new room is zeroed; a recycled buffer is reused as is.
            self.buf.resize(want, 0);
        }
        while let Some(room) = self.buf.get_mut(self.len..want) {
            if room.is_empty() {
                break;
            }
            match self.reader.read(room) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.len += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.scan_read();
        Ok(())
    }

    /// How much to read next: a whole block into a buffer that already has
    /// the room (recycled), else room grown geometrically from 64 KiB, so
    /// that a small input does not pay for zeroing megabytes of buffer.
    fn read_step(&self) -> usize {
        const FIRST_READ: usize = 64 << 10;
        if self.buf.len() >= self.len + self.block_bytes {
            self.block_bytes
        } else {
            self.block_bytes.min(self.len.max(FIRST_READ))
        }
    }

    /// Scans the bytes read since the last scan. The first scan waits for
    /// three bytes (or the end): the parser drops a byte order mark only
    /// from a first input that holds it whole.
    fn scan_read(&mut self) {
        if self.offset == 0 && self.scanned == 0 && self.len < 3 && !self.eof {
            return;
        }
        let base = self.offset + self.scanned as u64;
        if let Some(new) = self.buf.get(self.scanned..self.len)
            && let Some(end) = self.scan.feed_cuts(new, base)
        {
            self.last_end = self.scanned + end;
        }
        self.scanned = self.len;
    }

    /// Whether the header record is whole in the pending bytes: some
    /// record byte (not a line end of a blank line, not a dropped byte
    /// order mark) comes before the last `\n` outside quotes.
    fn header_read(&self) -> bool {
        let pending = self.pending();
        let from = if pending.starts_with(b"\xef\xbb\xbf") {
            3
        } else {
            0
        };
        pending
            .get(from..self.last_end)
            .is_some_and(|b| b.iter().any(|&c| c != b'\r' && c != b'\n'))
    }

    fn pending(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// Drops the first `n` pending bytes (the header).
    fn consume(&mut self, n: usize) {
        let n = n.min(self.len);
        self.buf.copy_within(n..self.len, 0);
        self.len -= n;
        self.offset += n as u64;
        self.scanned = self.scanned.saturating_sub(n);
        self.last_end = self.last_end.saturating_sub(n);
    }

    /// The next block, its bytes moved out and `spare` (a recycled buffer,
    /// possibly empty) taking the place of the read buffer. A block ends
    /// where the parser is between records: after a `\n` outside quotes,
    /// or at the end of the input.
    fn next_block(&mut self, spare: Vec<u8>) -> std::io::Result<Option<Block>> {
        while !self.eof && (self.len < self.block_bytes || self.last_end == 0) {
            // Short of a block, or one record longer than a block: read on.
            self.fill()?;
        }
        let cut = if self.eof { self.len } else { self.last_end };
        if cut == 0 {
            return Ok(None);
        }
        let rest = self.len - cut;
        // The carried-over bytes need room now; `fill` grows the rest.
        let mut next = spare;
        if next.len() < rest {
            next.resize(rest, 0);
        }
        if let (Some(dst), Some(src)) = (next.get_mut(..rest), self.buf.get(cut..self.len)) {
            dst.copy_from_slice(src);
        }
        let buf = std::mem::replace(&mut self.buf, next);
        self.len = rest;
        self.scanned -= cut;
        self.last_end = 0;
        let block = Block {
            buf,
            len: cut,
            offset: self.offset,
        };
        self.offset += cut as u64;
        Ok(Some(block))
    }
}

fn read_in_blocks<S: Send, B: Batch>(
    plan: &Plan<'_, S, B>,
    reader: impl Read + Send,
    source: &Path,
    sink: &mut S,
    block_bytes: usize,
    size_hint: Option<u64>,
) -> Result<()> {
    let schema = plan.schema;
    let io = |e: std::io::Error| Error::io(source, e);
    let mut cutter = Cutter::new(reader, block_bytes);

    // The header: read until its record is complete.
    let (positions, header_end) = loop {
        let mut names = [""; MAX_COLUMNS];
        for (n, c) in names.iter_mut().zip(schema) {
            *n = c.name;
        }
        if cutter.eof || cutter.header_read() {
            let mut rdr = RecordReader::file(cutter.pending());
            let mut record = StringRecord::new();
            let positions = read_header(
                &mut rdr,
                &mut record,
                names.get(..schema.len()).unwrap_or(&[]),
                source,
            )?;
            break (
                positions.unwrap_or([None; MAX_COLUMNS]),
                usize::try_from(rdr.consumed()).unwrap_or(cutter.len),
            );
        }
        cutter.fill().map_err(io)?;
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
    let header_lines = count_newlines(cutter.pending().get(..header_end).unwrap_or(&[]));
    cutter.consume(header_end);

    let mut driver = Driver {
        plan,
        sink,
        source,
        slot_of_column: &slot_of_column,
        row_base: 0,
        lines_before: header_lines,
        reserved: false,
        size_hint,
        spare: Vec::new(),
    };
    if par::threads() > 1 {
        pipelined(&mut driver, cutter)
    } else {
        one_block_at_a_time(&mut driver, cutter)
    }
}

/// Parses windows of blocks and appends their batches in order.
struct Driver<'a, 'f, S, B> {
    plan: &'a Plan<'f, S, B>,
    sink: &'a mut S,
    source: &'a Path,
    slot_of_column: &'a [Option<usize>],
    /// Rows of the source appended so far.
    row_base: u64,
    /// Lines of the source before the next block.
    lines_before: u64,
    reserved: bool,
    size_hint: Option<u64>,
    /// Appended batches, emptied, for the next blocks: their memory is
    /// mapped already, so staging does not fault in fresh pages.
    spare: Vec<B>,
}

impl<S, B: Batch> Driver<'_, '_, S, B> {
    /// `n` empty batches, reused ones first.
    fn take_batches(&mut self, n: usize) -> Vec<B> {
        (0..n)
            .map(|_| self.spare.pop().unwrap_or_default())
            .collect()
    }

    /// Parses `blocks` into `batches` (one each; in parallel with the
    /// `parallel` feature) against `resolver`.
    fn parse_with(
        plan: &Plan<'_, S, B>,
        resolver: &Resolver<'_>,
        blocks: &[Block],
        batches: Vec<B>,
        slot_of_column: &[Option<usize>],
        source: &Path,
    ) -> Vec<Result<(B, u64)>> {
        let width = plan.schema.len();
        let parse = |(b, batch): (&Block, B)| {
            let (mut batch, lines) = parse_block(
                b,
                batch,
                slot_of_column,
                width,
                source,
                |at, cells, batch| {
                    (plan.stage)(resolver, at, cells, batch);
                },
            )?;
            batch.finish(resolver);
            Ok((batch, lines))
        };
        par::map_zip(blocks, batches, parse)
    }

    /// Parses `blocks` into `batches` against the sink's id tables.
    fn parse(&mut self, blocks: &[Block], batches: Vec<B>) -> Vec<Result<(B, u64)>> {
        let (resolver, _) = (self.plan.split)(self.sink);
        Self::parse_with(
            self.plan,
            &resolver,
            blocks,
            batches,
            self.slot_of_column,
            self.source,
        )
    }

    /// Prepares the batches of one window (ending at byte `end_offset`)
    /// in order, each with the rows of the source before it; the first
    /// block that failed to parse is the error, its lines shifted to the
    /// file's. After the first window, reserves for the rest of the file
    /// at the rows per byte seen so far.
    fn prepare(
        &mut self,
        batches: Vec<Result<(B, u64)>>,
        end_offset: u64,
    ) -> Result<Vec<(B, u64)>> {
        let window_start = self.row_base;
        let mut ready = Vec::with_capacity(batches.len());
        for batch in batches {
            let (mut batch, lines) = batch.map_err(|e| shift_error(e, self.lines_before, 0))?;
            let rows = batch.rows();
            let before = Before {
                rows: self.row_base,
                lines: self.lines_before,
            };
            (self.plan.prepare)(self.sink, &mut batch, before)?;
            ready.push((batch, self.row_base));
            self.row_base += rows;
            self.lines_before += lines;
        }
        if !self.reserved
            && end_offset > 0
            && let Some(total) = self.size_hint
        {
            self.reserved = true;
            let rest = total.saturating_sub(end_offset);
            let window_rows = self.row_base - window_start;
            let per_byte = window_rows as f64 / end_offset as f64;
            // This window's rows are not appended yet.
            let more = (rest as f64 * per_byte * 1.05) as usize + window_rows as usize;
            (self.plan.reserve)(self.sink, more);
        }
        Ok(ready)
    }
}

/// Appends prepared batches in order; returns them emptied, for reuse.
fn append_rows<B: Batch>(appender: &mut Appender<'_, B>, ready: Vec<(B, u64)>) -> Vec<B> {
    ready
        .into_iter()
        .map(|(mut batch, base)| {
            appender(&mut batch, base);
            batch.clear();
            batch
        })
        .collect()
}

/// Windows of blocks in flight: enough to keep every thread busy.
fn window_size() -> usize {
    2 * par::threads()
}

/// On one thread: each block cut, parsed and appended in turn.
fn one_block_at_a_time<S: Send, B: Batch, R: Read + Send>(
    driver: &mut Driver<'_, '_, S, B>,
    mut cutter: Cutter<R>,
) -> Result<()> {
    let source = driver.source;
    loop {
        let Some(block) = cutter
            .next_block(Vec::new())
            .map_err(|e| Error::io(source, e))?
        else {
            return Ok(());
        };
        let batches = driver.take_batches(1);
        let parsed = driver.parse(&[block], batches);
        let ready = driver.prepare(parsed, 0)?;
        let (_, mut appender) = (driver.plan.split)(driver.sink);
        let emptied = append_rows(&mut appender, ready);
        driver.spare.extend(emptied);
    }
}

/// A reader thread cuts blocks (into recycled buffers) while the current
/// window is parsed, and appending a window overlaps parsing the next.
fn pipelined<S: Send, B: Batch, R: Read + Send>(
    driver: &mut Driver<'_, '_, S, B>,
    mut cutter: Cutter<R>,
) -> Result<()> {
    use std::sync::mpsc;
    let window = window_size();
    let source = driver.source;
    let (block_tx, block_rx) = mpsc::sync_channel::<std::io::Result<Block>>(window);
    let (spare_tx, spare_rx) = mpsc::channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        // Owned here, so that an early return (an error) drops it before the
        // scope waits for the reader thread: a reader blocked on a full
        // channel then wakes with a send error and stops, instead of the
        // scope waiting for it forever.
        let block_rx = block_rx;
        scope.spawn(move || {
            loop {
                let spare = spare_rx.try_recv().unwrap_or_default();
                match cutter.next_block(spare) {
                    Ok(Some(block)) => {
                        if block_tx.send(Ok(block)).is_err() {
                            return; // the parser stopped (an error)
                        }
                    }
                    Ok(None) => return,
                    Err(e) => {
                        let _ = block_tx.send(Err(e));
                        return;
                    }
                }
            }
        });
        let next_window = || -> Result<Vec<Block>> {
            let mut blocks = Vec::with_capacity(window);
            while blocks.len() < window {
                match block_rx.recv() {
                    Ok(Ok(b)) => blocks.push(b),
                    Ok(Err(e)) => return Err(Error::io(source, e)),
                    Err(_) => break, // the reader is done
                }
            }
            Ok(blocks)
        };
        let recycle = |blocks: Vec<Block>| {
            for b in blocks {
                let _ = spare_tx.send(b.buf);
            }
        };
        let end_of = |blocks: &[Block]| blocks.last().map_or(0, |b| b.offset + b.len as u64);
        let blocks = next_window()?;
        let fresh = driver.take_batches(blocks.len());
        let mut parsed = driver.parse(&blocks, fresh);
        let mut end = end_of(&blocks);
        recycle(blocks);
        // Window k is prepared (in order, with the whole sink), then its
        // rows are appended while window k + 1 is parsed.
        loop {
            let ready = driver.prepare(parsed, end)?;
            let upcoming = next_window()?;
            let fresh = driver.take_batches(upcoming.len());
            let (plan, slots) = (driver.plan, driver.slot_of_column);
            let (resolver, mut appender) = (plan.split)(driver.sink);
            if upcoming.is_empty() {
                let emptied = append_rows(&mut appender, ready);
                driver.spare.extend(emptied);
                return Ok(());
            }
            let (next, emptied) = par::join(
                || Driver::parse_with(plan, &resolver, &upcoming, fresh, slots, source),
                || append_rows(&mut appender, ready),
            );
            driver.spare.extend(emptied);
            parsed = next;
            end = end_of(&upcoming);
            recycle(upcoming);
        }
    })
}

fn count_newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// Parses one block into `batch`; returns it with the number of lines the
/// block holds. Lines in errors and [`RowAt`] count from the block's start
/// (bytes in errors from the file's).
fn parse_block<B: Batch>(
    block: &Block,
    mut batch: B,
    slot_of_column: &[Option<usize>],
    width: usize,
    source: &Path,
    stage: impl Fn(RowAt, &[Cell<'_>], &mut B),
) -> Result<(B, u64)> {
    let bytes = block.bytes();
    let simple = memchr::memchr2(b'"', b'\r', bytes).is_none();
    if simple {
        let text = std::str::from_utf8(bytes)
            .map_err(|e| simple_utf8_error(block, e.valid_up_to(), source))?;
        let wanted = slot_of_column.len();
        let mut row = 0u64;
        let mut lines = 0u64;
        let mut cells = [Cell::Absent; MAX_COLUMNS];
        let (mut col, mut start, mut record_start) = (0usize, 0usize, 0usize);
        // One pass finds every comma and newline (a word at a time);
        // columns past the last wanted one are not stored.
        let mut at_separator = |i: usize, newline: bool| {
            if col < wanted
                && let Some(Some(slot)) = slot_of_column.get(col)
                && let Some(field) = text.get(start..i).filter(|f| !f.is_empty())
                && let Some(c) = cells.get_mut(*slot)
            {
                *c = Cell::Text(field);
            }
            col += 1;
            start = i + 1;
            if newline {
                // A blank line is not a row (as in the csv crate).
                if i > record_start {
                    row += 1;
                    let at = RowAt {
                        row,
                        line: lines + 1,
                    };
                    stage(at, cells.get(..width).unwrap_or(&[]), &mut batch);
                }
                lines += 1;
                cells = [Cell::Absent; MAX_COLUMNS];
                col = 0;
                record_start = i + 1;
            }
        };
        for_each_separator(bytes, &mut at_separator);
        // A last record without a newline.
        if bytes.last().is_some_and(|&b| b != b'\n') {
            at_separator(bytes.len(), true);
            lines -= 1;
        }
        Ok((batch, lines))
    } else {
        // Quotes or carriage returns: the csv crate's own parser on this
        // block, as `read_csv` parses the file (bytes in positions are the
        // file's, lines the block's).
        let mut rdr = RecordReader::block(bytes, block.offset);
        let mut record = StringRecord::new();
        let mut row = 0u64;
        while let Some(start) = rdr.next(&mut record, source)? {
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
            stage(
                RowAt {
                    row,
                    line: start.line,
                },
                cells,
                &mut batch,
            );
        }
        Ok((batch, count_newlines(bytes)))
    }
}

/// Calls `f(i, is_newline)` for every comma and newline of `bytes`, in
/// order. Eight bytes are tested at a time: fields are short, and a test
/// per byte costs more than finding the separators of a word at once.
fn for_each_separator(bytes: &[u8], mut f: impl FnMut(usize, bool)) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte of `w` equal to `b` (exact: no carries
    // between bytes).
    let equal = |w: u64, b: u8| {
        let x = w ^ (ONES * u64::from(b));
        !(((x & LOW7).wrapping_add(LOW7)) | x) & HIGH
    };
    let words = bytes.chunks_exact(8);
    let tail = words.remainder();
    for (k, word) in words.enumerate() {
        let w = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        let newlines = equal(w, b'\n');
        let mut found = equal(w, b',') | newlines;
        while found != 0 {
            let bit = found.trailing_zeros();
            f(k * 8 + (bit / 8) as usize, newlines & (1u64 << bit) != 0);
            found &= found - 1;
        }
    }
    let base = bytes.len() - tail.len();
    for (j, &b) in tail.iter().enumerate() {
        if b == b',' || b == b'\n' {
            f(base + j, b == b'\n');
        }
    }
}

/// The error of invalid UTF-8 at byte `at` of a simple block (no quotes,
/// no carriage returns), as the csv parser's would be.
fn simple_utf8_error(block: &Block, at: usize, source: &Path) -> Error {
    let bytes = block.bytes();
    let record_start = memchr::memrchr(b'\n', bytes.get(..at).unwrap_or(&[])).map_or(0, |i| i + 1);
    let start = At {
        byte: block.offset + record_start as u64,
        line: 1 + count_newlines(bytes.get(..record_start).unwrap_or(&[])),
    };
    let in_record = bytes.get(record_start..at).unwrap_or(&[]);
    let field_start = memchr::memrchr(b',', in_record).map_or(0, |i| i + 1);
    let field = memchr::memchr_iter(b',', in_record).count();
    utf8_error(source, Some(start), field, in_record.len() - field_start)
}

/// Shifts the "line L" and "byte B" of an error's position by `lines` and
/// `bytes` (from a block's numbering to the file's).
fn shift_error(e: Error, lines: u64, bytes: u64) -> Error {
    match e {
        Error::Malformed {
            path,
            position,
            message,
        } => Error::Malformed {
            path,
            position: shift_position(&position, lines, bytes),
            message,
        },
        other => other,
    }
}

fn shift_position(position: &str, lines: u64, bytes: u64) -> String {
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
            "line" => Some(lines),
            "byte" => Some(bytes),
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
    use crate::ingest::{RecordSink, read_csv};
    use crate::ledger::{LedgerBuilder, Mode};
    use proptest::prelude::*;

    fn staged(b: &mut LedgerBuilder) -> &mut Staging {
        b.staging().expect("a ledger builder stages")
    }

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
                staged(&mut fast),
                block,
                Some(body.len() as u64),
            )
        } else {
            read_events(
                kind,
                body,
                Path::new("f.csv"),
                staged(&mut fast),
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
    fn repeated_prospect_ids_do_not_misdirect_neighbouring_contacts() {
        let load = |fast: bool| {
            let mut b = LedgerBuilder::new();
            b.mode(Mode::Lenient);
            let reps = "rep_id\nana\n";
            let prospects = "prospect_id\np1\np2\np1\np3\n";
            let contacts = "contact_id,rep_id,prospect_id,occurred_at,channel\n\
                c1,ana,p2,2026-06-01T09:00:00Z,phone\n\
                c2,ana,p1,2026-06-01T09:00:00Z,phone\n\
                c3,ana,p3,2026-06-01T09:00:00Z,phone\n";
            let _ = read_csv(RecordKind::Rep, reps.as_bytes(), Path::new("r.csv"), &mut b);
            if fast {
                let _ = read_prospects(
                    prospects.as_bytes(),
                    Path::new("p.csv"),
                    staged(&mut b),
                    1 << 20,
                    None,
                );
                let _ = read_events(
                    RecordKind::Contact,
                    contacts.as_bytes(),
                    Path::new("c.csv"),
                    staged(&mut b),
                    1 << 20,
                    None,
                );
            } else {
                let _ = read_csv(
                    RecordKind::Prospect,
                    prospects.as_bytes(),
                    Path::new("p.csv"),
                    &mut b,
                );
                let _ = read_csv(
                    RecordKind::Contact,
                    contacts.as_bytes(),
                    Path::new("c.csv"),
                    &mut b,
                );
            }
            outcome(b)
        };
        let fast = load(true);
        assert_eq!(fast, load(false));
        assert!(
            fast.contains("c2 ") && !fast.contains("unknown_prospect"),
            "{fast}"
        );
    }

    /// The blocks a file is cut into, as text.
    fn cuts(body: &[u8], block: usize) -> Vec<String> {
        let mut cutter = Cutter::new(body, block);
        let mut out = Vec::new();
        while let Ok(Some(b)) = cutter.next_block(Vec::new()) {
            out.push(String::from_utf8_lossy(b.bytes()).into_owned());
        }
        out
    }

    #[test]
    fn blocks_end_where_the_parser_is_between_records() {
        assert_eq!(cuts(b"a,b\nc,d\ne", 1), ["a,b\n", "c,d\n", "e"]);
        assert_eq!(cuts(b"a,\"b\nc\"\ne", 1), ["a,\"b\nc\"\n", "e"]);
        assert_eq!(cuts(b"a,\"\"\"\"\nb", 1), ["a,\"\"\"\"\n", "b"]);
        // A quote inside a field is a plain byte: it opens nothing.
        assert_eq!(
            cuts(b"O\"Brien,\"x\ny\"\nz\n", 1),
            ["O\"Brien,\"x\ny\"\n", "z\n"]
        );
        assert_eq!(cuts(b"a\"b\nc\n", 1), ["a\"b\n", "c\n"]);
        // A quote after a carriage return starts a record (and a field).
        assert_eq!(cuts(b"a\r\"b\nc\"\nd\n", 1), ["a\r\"b\nc\"\n", "d\n"]);
        // Never closed: the rest is one block.
        assert_eq!(cuts(b"a\n\"b\nc\n", 1), ["a\n", "\"b\nc\n"]);
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

    fn quoted(s: &str) -> String {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_owned()
        }
    }

    proptest! {
        #[test]
        fn separators_are_found_as_a_byte_scan_finds_them(
            text in proptest::collection::vec(
                prop_oneof![Just(b','), Just(b'\n'), Just(b'a'), Just(0xc3u8), Just(0x2cu8 | 0x80)],
                0..80,
            )
        ) {
            let mut found = Vec::new();
            for_each_separator(&text, |i, newline| found.push((i, newline)));
            let expected: Vec<(usize, bool)> = text
                .iter()
                .enumerate()
                .filter(|(_, b)| matches!(b, b',' | b'\n'))
                .map(|(i, &b)| (i, b == b'\n'))
                .collect();
            prop_assert_eq!(found, expected);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn partitions_read_in_any_blocks(
            pairs in prop::collection::vec(("[a-z0-9,\"\n]{1,5}", "[a-z0-9,\"]{1,4}"), 0..40),
            crlf in any::<bool>(),
            block in 1usize..100,
        ) {
            let nl = if crlf { "\r\n" } else { "\n" };
            let mut body = format!("cluster_id,note,prospect_id{nl}");
            for (id, label) in &pairs {
                body.push_str(&format!("{},x,{}{nl}", quoted(label), quoted(id)));
            }
            let mut read = SuppliedPartition::new();
            read_partition(body.as_bytes(), Path::new("pc.csv"), &mut read, block, None)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let expected: SuppliedPartition = pairs.iter().map(|(i, l)| (i.as_str(), l.as_str())).collect();
            prop_assert_eq!(read, expected);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]
        #[test]
        fn blocks_agree_with_the_sequential_reader(
            kind in prop::sample::select(vec![RecordKind::Prospect, RecordKind::Contact, RecordKind::Meeting, RecordKind::Sale]),
            rows in prop::collection::vec(prop::collection::vec(cell(), 0..8), 0..30),
            crlf in any::<bool>(),
            block in 1usize..200,
            last_newline in any::<bool>(),
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
            if !last_newline {
                body.truncate(body.trim_end_matches(['\r', '\n']).len());
            }
            let (a, b) = both(kind, body.as_bytes(), block);
            prop_assert_eq!(a, b);
        }
    }
}
