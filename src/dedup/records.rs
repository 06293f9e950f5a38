//! The ledger's prospect records in columns ([`ProspectRecords`], a
//! [`RecordSource`]) and the hook through which a ledger groups them
//! ([`Deduplicate`]).

use super::RecordSource;
use crate::error::Result;
use crate::ingest::stage::{StagedProspect, StagedTexts};
use crate::intern::{Interner, NONE, TextColumn};
use crate::model::Source;
use crate::par;

/// A borrowed view of one prospect record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProspectRecordRef<'a> {
    /// `prospect_id`.
    pub(crate) prospect_id: &'a str,
    /// Name.
    pub(crate) name: Option<&'a str>,
    /// Company.
    pub(crate) company: Option<&'a str>,
    /// E-mail.
    pub(crate) email: Option<&'a str>,
    /// Phone.
    pub(crate) phone: Option<&'a str>,
    /// City.
    pub(crate) city: Option<&'a str>,
    /// Country.
    pub(crate) country: Option<&'a str>,
    /// Source.
    pub(crate) source: Option<Source>,
    /// `created_at` in µs.
    pub(crate) created_us: Option<i64>,
    /// Creating rep's index, if any.
    pub(crate) created_by: Option<u32>,
}

/// Prospect records in columns (one buffer per text field, no `String` per
/// record): the ledger's accepted records, and what a [`Deduplicate`]
/// reads through [`RecordSource`].
#[derive(Debug, Clone, Default)]
pub(crate) struct ProspectRecords {
    ids: TextColumn,
    name: TextColumn,
    company: TextColumn,
    email: TextColumn,
    phone: TextColumn,
    city: TextColumn,
    country: TextColumn,
    source: Vec<Option<Source>>,
    created_us: OptionalMicros,
    created_by: Vec<u32>,
}

impl ProspectRecords {
    /// Number of records.
    pub(crate) fn len(&self) -> usize {
        self.source.len()
    }

    /// Record `i`, if it exists.
    pub(crate) fn get(&self, i: usize) -> Option<ProspectRecordRef<'_>> {
        Some(ProspectRecordRef {
            prospect_id: self.ids.get(i).unwrap_or(""),
            name: self.name.get(i),
            company: self.company.get(i),
            email: self.email.get(i),
            phone: self.phone.get(i),
            city: self.city.get(i),
            country: self.country.get(i),
            source: *self.source.get(i)?,
            created_us: self.created_us(i),
            created_by: self.created_by.get(i).copied().filter(|&r| r != NONE),
        })
    }

    /// The `prospect_id` of record `i`, if it exists (without building the
    /// whole [`ProspectRecordRef`]).
    pub(crate) fn prospect_id(&self, i: usize) -> Option<&str> {
        (i < self.len()).then(|| self.ids.get(i).unwrap_or(""))
    }

    /// The value of text column `column` (in the order `name`, `company`,
    /// `email`, `phone`, `city`, `country`) of record `i`, if given.
    pub(crate) fn text(&self, column: usize, i: usize) -> Option<&str> {
        let column = match column {
            0 => &self.name,
            1 => &self.company,
            2 => &self.email,
            3 => &self.phone,
            4 => &self.city,
            5 => &self.country,
            _ => return None,
        };
        column.get(i)
    }

    /// `created_at` of record `i` in µs, if given (without building the
    /// whole [`ProspectRecordRef`]).
    pub(crate) fn created_us(&self, i: usize) -> Option<i64> {
        self.created_us.get(i)
    }

    /// The source of record `i`, if given.
    pub(crate) fn source(&self, i: usize) -> Option<Source> {
        self.source.get(i).copied().flatten()
    }

    /// The creating rep's index of record `i`, if given.
    pub(crate) fn created_by(&self, i: usize) -> Option<u32> {
        self.created_by.get(i).copied().filter(|&r| r != NONE)
    }

    /// All records in index (id byte) order.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = ProspectRecordRef<'_>> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// The staged records `order` names (staged indices), in that order,
    /// each column gathered on all threads into one allocation sized first
    /// (see [`TextColumn::gathered`]).
    pub(crate) fn gathered(
        order: &[u32],
        staged: &[StagedProspect],
        texts: &StagedTexts,
        ids: &Interner,
        created_by_of: impl Fn(&StagedProspect) -> u32 + Sync,
    ) -> ProspectRecords {
        let at = |k: usize| order.get(k).and_then(|&i| staged.get(i as usize));
        let text_rows: Vec<u32> = par::map_indices(order.len(), |k| {
            at(k).map_or(u32::MAX, |r| u32::try_from(r.text_row).unwrap_or(u32::MAX))
        });
        let column = |c: &TextColumn| c.gathered(&text_rows);
        ProspectRecords {
            ids: ids.texts_of(order.len(), |k| at(k).map(|r| r.id)),
            name: column(&texts.name),
            company: column(&texts.company),
            email: column(&texts.email),
            phone: column(&texts.phone),
            city: column(&texts.city),
            country: column(&texts.country),
            source: par::map_indices(order.len(), |k| at(k).and_then(|r| r.source)),
            created_us: OptionalMicros::of(order.len(), |k| at(k).and_then(|r| r.created_us)),
            created_by: par::map_indices(order.len(), |k| at(k).map_or(NONE, &created_by_of)),
        }
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.ids.heap_bytes()
            + self.name.heap_bytes()
            + self.company.heap_bytes()
            + self.email.heap_bytes()
            + self.phone.heap_bytes()
            + self.city.heap_bytes()
            + self.country.heap_bytes()
            + self.source.capacity()
            + self.created_us.heap_bytes()
            + self.created_by.capacity() * 4
    }
}

/// Groups prospect records into prospects (SPEC §4): the hook a ledger
/// calls, set with
/// [`LedgerBuilder::deduplicate_with`](crate::LedgerBuilder::deduplicate_with).
/// [`Dedup`](super::Dedup) implements it (a ledger uses
/// [`Dedup::prospect`](super::Dedup::prospect) by default); so can a
/// caller's own matcher.
///
/// The records come as a [`RecordSource`] in id byte order: read a field
/// by its SPEC §2 column name (`name`, `company`, `email`, `phone`,
/// `city`, `country`) through [`RecordSource::column`] and
/// [`RecordSource::value`]; [`RecordSource::id`] is the `prospect_id`.
///
/// # Example: a CRM's own rule (same e-mail, any case, is one person)
/// ```
/// use std::collections::HashMap;
/// use sales_metrics::dedup::{Deduplicate, RecordSource};
/// use sales_metrics::{LedgerBuilder, ProspectRecord, Result};
///
/// struct SameEmail;
///
/// impl Deduplicate for SameEmail {
///     fn group(&self, records: &dyn RecordSource) -> Result<Vec<u32>> {
///         let email = records.column("email");
///         let mut by_email: HashMap<String, u32> = HashMap::new();
///         let mut labels = Vec::with_capacity(records.len());
///         for (i, own) in (0..records.len()).zip(0u32..) {
///             // No e-mail: a prospect of its own.
///             let label = match email.and_then(|c| records.value(i, c)) {
///                 Some(e) => *by_email.entry(e.to_lowercase()).or_insert(own),
///                 None => own,
///             };
///             labels.push(label);
///         }
///         Ok(labels)
///     }
/// }
///
/// let mut b = LedgerBuilder::new();
/// b.deduplicate_with(SameEmail);
/// for (id, email) in [("p1", "Ion@Alfa.ro"), ("p2", "ion@alfa.ro"), ("p3", "maria@alfa.ro")] {
///     let mut record = ProspectRecord::new(id);
///     record.email = Some(email.to_owned());
///     b.add_prospect(record);
/// }
/// let ledger = b.build()?;
/// assert_eq!(ledger.prospect_of("p2"), Some("p1"));
/// assert_eq!(ledger.prospect_of("p3"), Some("p3"));
/// # Ok::<(), sales_metrics::Error>(())
/// ```
pub trait Deduplicate: Send + Sync {
    /// Returns a group label for every record (same length and order as
    /// `records`): records with equal labels are one prospect. Labels are
    /// arbitrary; the ledger names each cluster by its smallest id.
    ///
    /// # Errors
    /// Whatever the implementation cannot handle; the ledger's
    /// [`build`](crate::LedgerBuilder::build) returns it, and an
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when the
    /// labels are not one per record.
    fn group(&self, records: &dyn RecordSource) -> Result<Vec<u32>>;
}

impl<T: Deduplicate + ?Sized> Deduplicate for Box<T> {
    fn group(&self, records: &dyn RecordSource) -> Result<Vec<u32>> {
        (**self).group(records)
    }
}

impl<T: Deduplicate + ?Sized> Deduplicate for std::sync::Arc<T> {
    fn group(&self, records: &dyn RecordSource) -> Result<Vec<u32>> {
        (**self).group(records)
    }
}

/// A column of optional instants (µs) in 8 bytes and a bit each instead
/// of the 16 bytes of an `Option<i64>`: a ledger keeps one per prospect
/// record, millions of them. Every `i64` is a value (the field path takes
/// any), so absence is a bit, not a reserved value.
#[derive(Debug, Clone, Default)]
struct OptionalMicros {
    /// The instants; 0 where none is given.
    values: Vec<i64>,
    /// Bit `i % 64` of word `i / 64`: whether `values[i]` is given.
    given: Vec<u64>,
}

impl OptionalMicros {
    /// The column of `at(0..n)`, filled on all threads.
    fn of(n: usize, at: impl Fn(usize) -> Option<i64> + Sync + Send) -> Self {
        let mut values = par::filled(n, 0i64);
        let given = par::map_chunks_mut_indexed(&mut values, 64, |(word, chunk)| {
            let mut bits = 0u64;
            for (bit, value) in chunk.iter_mut().enumerate() {
                if let Some(t) = at(word * 64 + bit) {
                    *value = t;
                    bits |= 1 << bit;
                }
            }
            bits
        });
        Self { values, given }
    }

    /// Entry `i`, if given.
    fn get(&self, i: usize) -> Option<i64> {
        let word = self.given.get(i / 64)?;
        (word >> (i % 64) & 1 == 1)
            .then(|| self.values.get(i).copied())
            .flatten()
    }

    fn heap_bytes(&self) -> usize {
        self.values.capacity() * 8 + self.given.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::OptionalMicros;
    use proptest::prelude::*;

    proptest! {
        /// Every entry reads back as given, `i64::MIN` and 0 included,
        /// across word boundaries.
        #[test]
        fn optional_micros_read_back_as_given(
            times in proptest::collection::vec(
                prop_oneof![Just(None), Just(Some(0)), Just(Some(i64::MIN)), any::<Option<i64>>()],
                0..300,
            )
        ) {
            let column = OptionalMicros::of(times.len(), |k| times.get(k).copied().flatten());
            for (i, t) in times.iter().enumerate() {
                prop_assert_eq!(column.get(i), *t);
            }
            prop_assert_eq!(column.get(times.len()), None);
        }
    }
}
