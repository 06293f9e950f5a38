//! Writes a simulation as a SPEC §2 folder: the records through
//! [`Records::write_csv_folder`](crate::Records::write_csv_folder), and the true
//! partition as `prospect_clusters.csv`.

use std::path::Path;

use serde::Serialize;

use super::Simulation;
use crate::error::{Error, Result};

#[derive(Serialize)]
struct ClusterRow<'a> {
    prospect_id: &'a str,
    cluster_id: &'a str,
}

fn write_rows<T: Serialize>(path: &Path, rows: impl Iterator<Item = T>) -> Result<()> {
    let malformed = |e: csv::Error| -> Error {
        match e.into_kind() {
            csv::ErrorKind::Io(io) => Error::io(path, io),
            other => Error::Malformed {
                path: path.to_path_buf(),
                position: String::new(),
                message: format!("{other:?}"),
            },
        }
    };
    let mut w = csv::Writer::from_path(path).map_err(malformed)?;
    for row in rows {
        w.serialize(row).map_err(malformed)?;
    }
    w.flush().map_err(|e| Error::io(path, e))
}

pub(crate) fn write_dir(sim: &Simulation, dir: &Path) -> Result<()> {
    sim.records.write_csv_folder(dir)?;
    write_rows(
        &dir.join("prospect_clusters.csv"),
        sim.truth.partition.iter().map(|(p, c)| ClusterRow {
            prospect_id: p.as_str(),
            cluster_id: c.as_str(),
        }),
    )
}
