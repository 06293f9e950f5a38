//! The JSON reader: one document
//! `{"reps":[…],"prospects":[…],"contacts":[…],"meetings":[…],"sales":[…]}`
//! with SPEC §2 field names, streamed record by record (no whole-document
//! tree in memory; cell text goes through reused buffers).

use std::fmt;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{Cell, MAX_COLUMNS, Ty, columns, process_row};
use crate::error::{Error, Result};
use crate::ledger::LedgerBuilder;
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
/// number; [`Error::Io`] when reading fails. Records read before such an
/// error stay in `builder`.
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
pub fn read_json(reader: impl Read, source_name: &Path, builder: &mut LedgerBuilder) -> Result<()> {
    let mut de =
        serde_json::Deserializer::from_reader(BufReader::with_capacity(BUFFER_BYTES, reader));
    let mut state = State {
        builder,
        scratch: Default::default(),
    };
    DocSeed { state: &mut state }
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| json_error(e, source_name))
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
pub fn read_json_file(path: impl AsRef<Path>, builder: &mut LedgerBuilder) -> Result<()> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    read_json(file, path, builder)
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
    builder: &'b mut LedgerBuilder,
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
                    let _: IgnoredAny = map.next_value()?;
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
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(JsonValue::Other("an array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonValue, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
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
                    let _: IgnoredAny = map.next_value()?;
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
