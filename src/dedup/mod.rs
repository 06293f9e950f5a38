//! Record linkage over typed fields: which records denote the same entity
//! (SPEC §4: prospect records that are one person at one company).
//!
//! A record is a set of fields, each of a [`FieldKind`] with its own
//! normaliser and [`Comparator`] (a caller can add or replace kinds). A
//! [`Profile`] lists the fields and the blocking rules; the default
//! [`Profile::prospect`] maps SPEC §2's prospect columns. Records come
//! from any [`RecordSource`]: a CSV file ([`CsvRecords`]), SPEC prospect
//! records, or a caller's own type. [`Dedup::run`] then
//! 1. **normalises** every value once per record: Unicode
//!    folding, case, punctuation, name token order, company legal forms,
//!    e-mail `+tags`, phones to international digits, city aliases;
//! 2. **blocks**: records sharing a key of some blocking rule become
//!    candidate pairs, oversized blocks are skipped (and counted), so work
//!    grows near-linearly;
//! 3. **scores** each candidate pair with graded agreement levels and
//!    Fellegi–Sunter weights (u estimated from random pairs, the prior by
//!    EM, term-frequency and shared-contact adjustments);
//! 4. **clusters** the pairs over the threshold without chaining (greedy
//!    from the strongest link, never joining records whose names
//!    conflict, with a size guard), naming each cluster by its smallest
//!    record id;
//! 5. keeps the **evidence** of every link inside a cluster
//!    ([`PairEvidence`], one [`FieldEvidence`] per field).
//!
//! [`DedupIndex`] answers the same question one record at a time, as a CRM
//! needs when a rep types a new record, with the same answers as the batch
//! run on the same records and model.
//!
//! # Extension points
//!
//! * [`Comparator`]: a field kind of the caller's own (normalise, compare
//!   to graded levels, blocking keys), added to a profile with
//!   [`FieldSpec::custom`] and [`Profile::with_field`];
//! * [`RecordSource`]: deduplicate a CRM's own record type in place;
//! * [`Deduplicate`]: the hook through which a ledger groups its prospect
//!   records (a [`Dedup`] by default), for a CRM's own matcher;
//! * [`DedupIndex`]: check a record as it is typed against the known ones.
//!
//! # What CRM data needs beyond textbook Fellegi–Sunter
//!
//! * **Colleagues** share a company, its city, its switchboard and its
//!   role mailbox. A contact value held by records whose names conflict is
//!   *shared*: it names the organisation, so it adds at most a bit when the
//!   company already agrees (and stands in for a missing company
//!   otherwise), and disagreement with it is neutral. Two records whose
//!   names conflict, or that hold two personal mailboxes at one company
//!   domain, never join one cluster.
//! * **Namesakes**: a name's agreement weighs by how common it is (term
//!   frequencies), and disagreement on company, personal e-mail or mobile
//!   counts against the pair; another mailbox at the same company domain
//!   says "colleague".
//! * **Missing names**: without a name on both sides, no value shared by
//!   several people (their company, its switchboard) can tell which of them
//!   a record is.
//! * **Chaining**: clusters grow from the strongest link down and refuse
//!   merges that would put conflicting names together or exceed
//!   [`Dedup::with_max_cluster_size`].
//!
//! # Determinism
//!
//! Records are ordered by their own content and id (never by input
//! position), candidate pairs and links are sorted with ties broken by that
//! order, and random pair sampling is seeded: the partition does not depend
//! on input order or thread count (both are tested).
//!
//! # Measuring
//!
//! With feature `sim`, `sim::LinkageScores` scores a partition against
//! truth (pairwise precision, recall and F1; cluster-level, exact match of
//! predicted to true clusters; blocking recall) and `sim::CrmConfig`
//! generates realistic CRM prospect data with truth. `tests/dedup_eval.rs` asserts the targets,
//! `examples/dedup_eval.rs` prints the figures and `benches/dedup.rs`
//! times the whole run and index lookups.
//!
//! # Example
//! ```
//! use sales_metrics::dedup::{CsvRecords, Dedup};
//!
//! let csv = "prospect_id,name,company,email,phone,city,country\n\
//!            p1,Ion Popescu,Alfa Construct SRL,ion.popescu@alfa.ro,0721 234 567,București,RO\n\
//!            p2,POPESCU ION,S.C. Alfa Construct S.R.L.,Ion.Popescu+crm@alfa.ro,+40 721 234 567,Bucharest,RO\n\
//!            p3,Maria Popescu,Alfa Construct,maria@alfa.ro,021 300 4000,Bucuresti,RO\n";
//! let table = CsvRecords::from_csv(csv.as_bytes(), "prospect_id")?;
//! let result = Dedup::prospect().run(&table)?;
//! assert_eq!(result.cluster_id("p2"), Some("p1"));
//! assert_eq!(result.cluster_id("p3"), Some("p3"));
//! let why = result.evidence("p1");
//! assert_eq!(why.len(), 1);
//! assert!(why[0].probability >= why[0].threshold);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod block;
mod cluster;
mod compare;
mod data;
mod index;
mod normalize;
mod profile;
mod records;
mod result;
mod run;
mod score;
mod source;

// The public surface of deduplication, one path per item.
pub use compare::{Comparator, FieldKind};
pub use index::{DedupIndex, IndexMatch};
pub use profile::{FieldSpec, Profile};
pub use records::Deduplicate;
pub use result::{DedupResult, DedupStats, FieldEvidence, PairEvidence};
pub use run::Dedup;
pub use source::{CsvRecords, RecordSource};

#[cfg(feature = "sim")]
pub(crate) use normalize::folded;
use profile::FieldRole;
pub(crate) use records::ProspectRecords;
use result::pair_evidence;
use run::DedupSettings;
use run::{cannot_link, locality_cmp, locality_fields, sorted_ids, too_much_text, veto_fields};
use score::Model;

use crate::error::Result;

impl Deduplicate for Dedup {
    fn group(&self, records: &dyn RecordSource) -> Result<Vec<u32>> {
        Ok(self.run(records)?.labels())
    }
}
