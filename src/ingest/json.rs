//! The JSON reader: one document
//! `{"reps":[…],"prospects":[…],"contacts":[…],"meetings":[…],"sales":[…]}`
//! with SPEC §2 field names, streamed record by record (no whole-document
//! tree in memory; cell text goes through reused buffers).

use std::fmt;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::sink::RecordSink;
use super::{Cell, MAX_COLUMNS, Ty, columns, process_row};
use crate::error::{Error, Result};
use crate::model::RecordKind;

const BUFFER_BYTES: usize = 256 * 1024;

/// Reads one JSON document of records into `builder`.
///
/// The document is an object whose keys `reps`, `prospects`, `contacts`,
/// `meetings` and `sales` (each optional, other keys ignored) hold arrays of
/// objects with SPEC §2 field names. Validation is that of the CSV reader,
/// with the same reasons: a value may be a string, an integer (for integer
/// fields and for ids and other text fields, which read it as its decimal
/// text), or `null`/`""`/absent (= absent). A number that is not an integer
/// (`150.0`, `1e3`) in an integer field is `bad_number`; a value of the
/// wrong type in a time, integer or enumeration field gets that field's
/// reason (`bad_time`, `bad_number`, `unknown_enum`). The row of a record is
/// its 1-based position in its array.
///
/// JSON cannot tell `-0` from `-0.0` once parsed, so both read as the
/// integer 0 (SPEC: `-0` is zero).
///
/// # Errors
/// [`Error::Malformed`] with the line and column when the document is not
/// well-formed JSON, not of the shape above (a top-level value that is not
/// an object, a value under a known key that is not an array or `null`, a
/// record that is not an object, a key repeated in one object), or when a
/// free-text field or id holds a boolean, array, object or non-integer
/// number; [`Error::Malformed`] with the line and byte offset (counted
/// from 0) of the first invalid byte when the input is not UTF-8 anywhere,
/// even inside the value of an ignored key, as for CSV;
/// [`Error::Io`] when reading fails. Records read before such an error
/// stay in `builder`.
///
/// # Example
/// ```
/// use std::path::Path;
/// use sales_metrics::{ingest::read_json, LedgerBuilder, Mode, Reason, RecordKind};
///
/// let doc = r#"{
///   "reps": [{"rep_id": "ana"}],
///   "prospects": [{"prospect_id": 17, "company": "Acme"}],
///   "sales": [
///     {"sale_id": "s1", "rep_id": "ana", "prospect_id": "17",
///      "closed_at": "2026-06-03T15:00:00+02:00", "amount_minor": 125000, "currency": "EUR"},
///     {"sale_id": "s2", "rep_id": "ana", "prospect_id": "17",
///      "closed_at": "2026-06-04T15:00:00Z", "amount_minor": 99.5}
///   ]
/// }"#;
/// let mut b = LedgerBuilder::new();
/// b.mode(Mode::Lenient);
/// read_json(doc.as_bytes(), Path::new("records.json"), &mut b)?;
/// let ledger = b.build()?;
/// assert_eq!(ledger.accepted_count(RecordKind::Sale), 1);
/// assert_eq!(ledger.rejections()[0].reason, Reason::BadNumber);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_json(
    reader: impl Read,
    source_name: &Path,
    builder: &mut impl RecordSink,
) -> Result<()> {
    // serde_json checks the UTF-8 of the strings it reads but skips the
    // values of ignored keys unchecked: the whole input is checked on its
    // way in, as the CSV readers do.
    let mut checked = Utf8Checked::new(reader);
    let mut de =
        serde_json::Deserializer::from_reader(BufReader::with_capacity(BUFFER_BYTES, &mut checked));
    let mut state = State {
        builder,
        scratch: Default::default(),
    };
    let result = DocSeed { state: &mut state }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    drop(de);
    result.map_err(|e| match checked.reported {
        Some(at) if e.is_io() => utf8_error(at, source_name),
        _ => json_error(e, source_name),
    })
}

/// Reads a JSON document file with [`read_json`].
///
/// # Errors
/// [`Error::Io`] naming the file when it cannot be opened; those of
/// [`read_json`].
///
/// # Example
/// ```
/// use sales_metrics::{ingest::read_json_file, LedgerBuilder};
///
/// let path = std::env::temp_dir().join(format!("sm-json-doc-{}.json", std::process::id()));
/// std::fs::write(&path, r#"{"reps": [{"rep_id": "ana"}, {"rep_id": "bob"}]}"#)?;
/// let mut b = LedgerBuilder::new();
/// read_json_file(&path, &mut b)?;
/// assert_eq!(b.build()?.reps().len(), 2);
/// std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_json_file(path: impl AsRef<Path>, builder: &mut impl RecordSink) -> Result<()> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    read_json(file, path, builder)
}

/// Where the first invalid UTF-8 byte is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Utf8Fault {
    /// 1-based line.
    line: u64,
    /// 0-based byte offset in the input.
    byte: u64,
}

/// A reader that passes its input on while checking that it is UTF-8
/// (streaming, with the bytes of a character split between two reads
/// carried over): the bytes before the first invalid one are passed on,
/// then reading fails and `reported` says where.
struct Utf8Checked<R> {
    inner: R,
    /// Bytes passed on so far.
    offset: u64,
    /// Newlines passed on so far.
    newlines: u64,
    /// The start of a character cut off by the end of the last read.
    partial: [u8; 4],
    partial_len: usize,
    /// Offset of `partial`'s first byte.
    partial_at: u64,
    /// The fault found and not yet reported.
    pending: Option<Utf8Fault>,
    /// The fault that made a read fail.
    reported: Option<Utf8Fault>,
}

impl<R: Read> Utf8Checked<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            offset: 0,
            newlines: 0,
            partial: [0; 4],
            partial_len: 0,
            partial_at: 0,
            pending: None,
            reported: None,
        }
    }

    fn fail(&mut self, fault: Utf8Fault) -> std::io::Error {
        self.reported = Some(fault);
        std::io::Error::new(std::io::ErrorKind::InvalidData, "invalid UTF-8")
    }

    /// The fault at the start of the carried-over character (which holds
    /// no newline: all its bytes are non-ASCII).
    fn partial_fault(&self) -> Utf8Fault {
        Utf8Fault {
            line: self.newlines + 1,
            byte: self.partial_at,
        }
    }

    /// Checks `bytes` (just read, at `self.offset`): `Ok(())` when valid
    /// so far, else how many of them are valid and the fault.
    fn check(&mut self, bytes: &[u8]) -> std::result::Result<(), (usize, Utf8Fault)> {
        let mut start = 0;
        if self.partial_len > 0 {
            // Complete the character cut off by the last read.
            let width = utf8_width(self.partial[0]);
            while self.partial_len < width {
                let Some(&b) = bytes.get(start) else { break };
                if let Some(slot) = self.partial.get_mut(self.partial_len) {
                    *slot = b;
                }
                self.partial_len += 1;
                start += 1;
            }
            match std::str::from_utf8(self.partial.get(..self.partial_len).unwrap_or(&[])) {
                Ok(_) => self.partial_len = 0,
                Err(e) if e.error_len().is_none() => return Ok(()),
                Err(_) => return Err((0, self.partial_fault())),
            }
        }
        let rest = bytes.get(start..).unwrap_or(&[]);
        match std::str::from_utf8(rest) {
            Ok(_) => Ok(()),
            Err(e) => {
                let valid = start + e.valid_up_to();
                let at = self.offset + valid as u64;
                if e.error_len().is_none() {
                    let tail = bytes.get(valid..).unwrap_or(&[]);
                    self.partial_len = tail.len();
                    for (slot, b) in self.partial.iter_mut().zip(tail) {
                        *slot = *b;
                    }
                    self.partial_at = at;
                    return Ok(());
                }
                let before = bytes.get(..valid).unwrap_or(&[]);
                let line = self.newlines + 1 + memchr::memchr_iter(b'\n', before).count() as u64;
                Err((valid, Utf8Fault { line, byte: at }))
            }
        }
    }
}

/// The length of the UTF-8 sequence a lead byte starts (1 for a byte that
/// cannot start one: the check then finds it invalid).
fn utf8_width(lead: u8) -> usize {
    match lead {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => 1,
    }
}

impl<R: Read> Read for Utf8Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(fault) = self.pending.take().or(self.reported) {
            return Err(self.fail(fault));
        }
        let n = self.inner.read(buf)?;
        let bytes = buf.get(..n).unwrap_or(&[]);
        if n == 0 {
            if self.partial_len > 0 {
                // The input ends inside a character.
                return Err(self.fail(self.partial_fault()));
            }
            return Ok(0);
        }
        let passed = match self.check(bytes) {
            Ok(()) => n,
            Err((0, fault)) => return Err(self.fail(fault)),
            Err((valid, fault)) => {
                // Pass on the valid bytes; the next read fails.
                self.pending = Some(fault);
                valid
            }
        };
        let passed_bytes = bytes.get(..passed).unwrap_or(&[]);
        self.newlines += memchr::memchr_iter(b'\n', passed_bytes).count() as u64;
        self.offset += passed as u64;
        Ok(passed)
    }
}

/// The error of invalid UTF-8, worded like the CSV readers'.
fn utf8_error(fault: Utf8Fault, path: &Path) -> Error {
    Error::Malformed {
        path: path.to_owned(),
        position: format!("line {}, byte {}", fault.line, fault.byte),
        message: "invalid UTF-8".to_owned(),
    }
}

fn json_error(err: serde_json::Error, path: &Path) -> Error {
    if err.is_io() {
        return Error::io(path, err.into());
    }
    let (line, column) = (err.line(), err.column());
    let text = err.to_string();
    let suffix = format!(" at line {line} column {column}");
    let message = text.strip_suffix(&suffix).unwrap_or(&text).to_owned();
    Error::Malformed {
        path: path.to_owned(),
        position: format!("line {line}, column {column}"),
        message,
    }
}

/// What the reader carries through the document.
struct State<'b> {
    builder: &'b mut dyn RecordSink,
    /// Text of each column of the current record (reused).
    scratch: [String; MAX_COLUMNS],
}

fn kind_of_key(key: &str) -> Option<RecordKind> {
    Some(match key {
        "reps" => RecordKind::Rep,
        "prospects" => RecordKind::Prospect,
        "contacts" => RecordKind::Contact,
        "meetings" => RecordKind::Meeting,
        "sales" => RecordKind::Sale,
        _ => return None,
    })
}

/// A map key matched against a list of names without allocating.
struct KeySeed<F>(F);

impl<'de, T, F: FnOnce(&str) -> Option<T>> DeserializeSeed<'de> for KeySeed<F> {
    type Value = Option<T>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, T, F: FnOnce(&str) -> Option<T>> Visitor<'de> for KeySeed<F> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok((self.0)(v))
    }
}

struct DocSeed<'s, 'b> {
    state: &'s mut State<'b>,
}

impl<'de> DeserializeSeed<'de> for DocSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with arrays `reps`, `prospects`, `contacts`, `meetings`, `sales`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen: Vec<RecordKind> = Vec::with_capacity(5);
        while let Some(key) = map.next_key_seed(KeySeed(kind_of_key))? {
            match key {
                Some(kind) => {
                    if seen.contains(&kind) {
                        return Err(de::Error::custom(format!(
                            "duplicate key `{}`",
                            array_name(kind)
                        )));
                    }
                    seen.push(kind);
                    map.next_value_seed(ArraySeed {
                        kind,
                        state: &mut *self.state,
                    })?;
                }
                None => {
                    let _: Checked = map.next_value()?;
                }
            }
        }
        Ok(())
    }
}

fn array_name(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Rep => "reps",
        RecordKind::Prospect => "prospects",
        RecordKind::Contact => "contacts",
        RecordKind::Meeting => "meetings",
        RecordKind::Sale => "sales",
    }
}

/// The array of one kind (or `null`).
struct ArraySeed<'s, 'b> {
    kind: RecordKind,
    state: &'s mut State<'b>,
}

impl<'de> DeserializeSeed<'de> for ArraySeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for ArraySeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array of {} records or null", self.kind)
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut row: u64 = 0;
        loop {
            row += 1;
            let seed = RecordSeed {
                kind: self.kind,
                row,
                state: &mut *self.state,
            };
            if seq.next_element_seed(seed)?.is_none() {
                return Ok(());
            }
        }
    }
}

/// The type of one JSON value of a known field; strings land in the
/// column's scratch buffer.
#[derive(Debug, Clone, Copy, PartialEq)]
enum JsonValue {
    Absent,
    Str,
    I64(i64),
    U64(u64),
    F64(f64),
    Other(&'static str),
}

struct CellSeed<'s> {
    buf: &'s mut String,
}

impl<'de> DeserializeSeed<'de> for CellSeed<'_> {
    type Value = JsonValue;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<JsonValue, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CellSeed<'_> {
    type Value = JsonValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<JsonValue, E> {
        self.buf.clear();
        self.buf.push_str(v);
        Ok(JsonValue::Str)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<JsonValue, E> {
        Ok(JsonValue::I64(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<JsonValue, E> {
        Ok(JsonValue::U64(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<JsonValue, E> {
        Ok(JsonValue::F64(v))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<JsonValue, E> {
        Ok(JsonValue::Other("a boolean"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<JsonValue, E> {
        Ok(JsonValue::Absent)
    }

    fn visit_none<E: de::Error>(self) -> Result<JsonValue, E> {
        Ok(JsonValue::Absent)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsonValue, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(JsonValue::Other("an array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonValue, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(JsonValue::Other("an object"))
    }
}

/// One record object at `row` of its array.
struct RecordSeed<'s, 'b> {
    kind: RecordKind,
    row: u64,
    state: &'s mut State<'b>,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} record (an object)", self.kind)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let schema = columns(self.kind);
        let state = self.state;
        let mut values = [JsonValue::Absent; MAX_COLUMNS];
        let mut seen = [false; MAX_COLUMNS];
        let find = |key: &str| schema.iter().position(|c| c.name == key);
        while let Some(key) = map.next_key_seed(KeySeed(find))? {
            let slot = key.and_then(|i| {
                Some((
                    i,
                    values.get_mut(i)?,
                    seen.get_mut(i)?,
                    state.scratch.get_mut(i)?,
                ))
            });
            match slot {
                Some((i, value, seen, buf)) => {
                    if *seen {
                        let name = schema.get(i).map_or("", |c| c.name);
                        return Err(de::Error::custom(format!(
                            "{} record {}: duplicate field `{name}`",
                            self.kind, self.row
                        )));
                    }
                    *seen = true;
                    *value = map.next_value_seed(CellSeed { buf })?;
                }
                None => {
                    let _: Checked = map.next_value()?;
                }
            }
        }

        // Integers in text fields (ids above all) read as their decimal
        // text; other non-string values there cannot be read as text.
        for ((col, value), buf) in schema.iter().zip(&mut values).zip(&mut state.scratch) {
            if col.ty != Ty::Text {
                continue;
            }
            let number = match *value {
                JsonValue::I64(n) => i128::from(n),
                JsonValue::U64(n) => i128::from(n),
                JsonValue::Absent | JsonValue::Str => continue,
                JsonValue::F64(_) => {
                    return Err(not_text(
                        self.kind,
                        self.row,
                        col.name,
                        "a non-integer number",
                    ));
                }
                JsonValue::Other(what) => {
                    return Err(not_text(self.kind, self.row, col.name, what));
                }
            };
            buf.clear();
            let _ = write!(buf, "{number}");
            *value = JsonValue::Str;
        }

        let mut cells = [Cell::Absent; MAX_COLUMNS];
        for ((cell, value), buf) in cells.iter_mut().zip(&values).zip(&state.scratch) {
            *cell = match *value {
                JsonValue::Absent => Cell::Absent,
                JsonValue::Str if buf.is_empty() => Cell::Absent,
                JsonValue::Str => Cell::Text(buf),
                JsonValue::I64(n) => Cell::Int(n),
                JsonValue::U64(n) => i64::try_from(n).map_or(Cell::Wrong, Cell::Int),
                // `-0` parses as -0.0 (see `read_json`).
                JsonValue::F64(f) if f == 0.0 && f.is_sign_negative() => Cell::Int(0),
                JsonValue::F64(_) | JsonValue::Other(_) => Cell::Wrong,
            };
        }
        process_row(
            self.kind,
            self.row,
            cells.get(..schema.len()).unwrap_or(&[]),
            state.builder,
        );
        Ok(())
    }
}

fn not_text<E: de::Error>(kind: RecordKind, row: u64, field: &str, what: &str) -> E {
    E::custom(format!(
        "{kind} record {row}: field `{field}` must be a string or an integer, not {what}"
    ))
}

/// A value that is read and dropped, like `serde::de::IgnoredAny`, but
/// with its strings decoded: serde_json skips an ignored string without
/// checking its escapes, so a lone surrogate (`"\ud800"`) under an
/// ignored key would pass while the same text under a read key is an
/// error. Found by the `json` fuzz target.
struct Checked;

impl<'de> serde::Deserialize<'de> for Checked {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Checked;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_none<E: de::Error>(self) -> std::result::Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Checked, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::LedgerBuilder;

    fn read(doc: &[u8]) -> Result<LedgerBuilder> {
        let mut b = LedgerBuilder::new();
        read_json(doc, Path::new("records.json"), &mut b).map(|()| b)
    }

    fn malformed_at(doc: &[u8]) -> String {
        match read(doc) {
            Err(Error::Malformed {
                position, message, ..
            }) => {
                assert_eq!(message, "invalid UTF-8");
                position
            }
            other => panic!("expected invalid UTF-8, got {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn lone_surrogate_under_an_ignored_key_is_an_error() {
        for doc in [
            &br#"{"a":"\ud800"}"#[..],
            br#"{"reps":[{"rep_id":"ana","notes":["\udc00"]}]}"#,
            br#"{"reps":[{"rep_id":"ana","x":{"\ud800":1}}]}"#,
        ] {
            assert!(read(doc).is_err(), "{}", String::from_utf8_lossy(doc));
        }
        assert!(read(br#"{"a":"\ud83d\ude00","b":[1,2.5,true,null,{}]}"#).is_ok());
    }

    #[test]
    fn invalid_utf8_under_an_ignored_key_is_an_error() {
        let doc = b"{\"reps\":[{\"rep_id\":\"ana\"}],\"notes\":\"\xff\"}";
        assert_eq!(malformed_at(doc), "line 1, byte 36");
        let e = read(doc).err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("records.json: line 1, byte 36: invalid UTF-8")
        );
        // In a read value, cut short at the end, on a later line.
        assert_eq!(
            malformed_at(b"{\"reps\":[{\"rep_id\":\"a\xc3(\"}]}"),
            "line 1, byte 21"
        );
        assert_eq!(malformed_at(b"{\n\"x\":\n\"\xe2\x82"), "line 3, byte 8");
        assert!(read("{\"x\":\"\u{20ac}\u{1f600}\"}".as_bytes()).is_ok());
    }

    /// A reader that hands out one byte per read, so that characters are
    /// split between reads.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((b, rest)), Some(slot)) => {
                    *slot = *b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn utf8_check_carries_characters_across_reads() {
        let good = "{\"reps\":[{\"rep_id\":\"\u{0219}\u{20ac}\u{1f600}\"}],\"n\":\"\u{1f600}\"}";
        let mut b = LedgerBuilder::new();
        assert!(read_json(Trickle(good.as_bytes()), Path::new("r.json"), &mut b).is_ok());
        let bad = b"{\"n\":\n\"\xf0\x9f\x98(\"}";
        let mut b = LedgerBuilder::new();
        let e = read_json(Trickle(bad), Path::new("r.json"), &mut b).err();
        assert_eq!(
            e.map(|e| e.to_string()).as_deref(),
            Some("r.json: line 2, byte 7: invalid UTF-8")
        );
    }
}
