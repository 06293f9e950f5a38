//! Issue 12, defects 9, 10 and 14: the `report` and `dedup` programs under
//! hostile use. They run as built binaries (the examples, built by this
//! test with the features it was built with), as a user runs them.
//!
//! - 9: OUT_DIR is all-or-nothing: a failed run leaves its error output,
//!   never the previous tables or a mix; a killed run's leftovers are
//!   cleaned by the next run; strict-mode rejections are staged too.
//! - 10: paths that are not UTF-8 work; option values that are not UTF-8
//!   get a usage error, not a panic.
//! - 14: every error names its file; `dedup` writes OUT and PAIRS
//!   all-or-nothing.

#![cfg(unix)]

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use sales_metrics::Table as ResultTable;
use sales_metrics::dedup::CsvRecords;
use sales_metrics::ingest::{OutputDir, write_rejections_csv};
use sales_metrics::{Error, Reason, RecordKind, Rejection};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The tables of a good `report` run without `--json`.
const TABLES: [&str; 7] = [
    "cohort_report.csv",
    "contact_classes.csv",
    "findings.csv",
    "period_report.csv",
    "prospect_clusters.csv",
    "rejections.csv",
    "revenue.csv",
];

/// Builds the `report` and `dedup` examples once (a no-op when they are
/// fresh) and returns the folder holding them. `cargo test --test
/// hostile_cli` does not build examples itself, and a binary left from an
/// earlier build could be stale.
fn examples_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // target/PROFILE/deps/hostile_cli-HASH
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe.parent().and_then(Path::parent).expect("target/PROFILE");
        let target_dir = profile_dir.parent().expect("target dir");
        let mut features = vec!["sim"];
        for (on, name) in [
            (cfg!(feature = "parallel"), "parallel"),
            (cfg!(feature = "plot"), "plot"),
            (cfg!(feature = "arrow"), "arrow"),
        ] {
            if on {
                features.push(name);
            }
        }
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args([
            "build",
            "--quiet",
            "--example",
            "report",
            "--example",
            "dedup",
        ])
        .arg("--manifest-path")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .args(["--no-default-features", "--features", &features.join(",")])
        .env("CARGO_TARGET_DIR", target_dir);
        if !cfg!(debug_assertions) {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("cargo runs");
        assert!(status.success(), "building the examples failed");
        profile_dir.join("examples")
    })
}

fn run(program: &str, args: &[&OsStr]) -> Output {
    Command::new(examples_dir().join(program))
        .args(args)
        .output()
        .expect("example runs")
}

fn report(args: &[&OsStr]) -> Output {
    run("report", args)
}

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh scratch folder for one test.
fn scratch(name: &str) -> Result<PathBuf, std::io::Error> {
    let dir = std::env::temp_dir().join(format!("sm-hostile-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A small valid SPEC §2 folder.
fn write_data(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in [
        ("reps.csv", "rep_id,name\nana,Ana\nbob,Bob\n"),
        (
            "prospects.csv",
            "prospect_id,name\np1,Ion Popescu\np2,Maria Ionescu\n",
        ),
        (
            "contacts.csv",
            "contact_id,rep_id,prospect_id,occurred_at,channel\n\
             c1,ana,p1,2026-06-01T09:00:00Z,phone\n\
             c2,bob,p2,2026-06-02T09:00:00Z,email\n\
             c3,ana,p1,2026-06-20T09:00:00Z,phone\n",
        ),
        (
            "meetings.csv",
            "meeting_id,rep_id,prospect_id,held_at,status\nm1,ana,p1,2026-06-05T09:00:00Z,held\n",
        ),
        (
            "sales.csv",
            "sale_id,rep_id,prospect_id,closed_at,amount_minor,currency\n\
             s1,ana,p1,2026-06-25T09:00:00Z,120000,EUR\n",
        ),
    ] {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}

/// The names in `dir`, sorted, hidden ones included.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The files of `dir` with their contents.
fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    names(dir)
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).unwrap_or_default();
            (n, bytes)
        })
        .collect()
}

/// Names in `parent` that a run of `report` leaves beside its OUT_DIR.
fn leftovers(parent: &Path) -> Vec<String> {
    names(parent)
        .into_iter()
        .filter(|n| n.contains(".sm-staging-") || n.contains(".sm-old-"))
        .collect()
}

fn good_run(data: &Path, out: &Path) -> TestResult {
    let o = report(&[data.as_os_str(), out.as_os_str()]);
    assert!(o.status.success(), "good run failed: {}", stderr(&o));
    assert_eq!(names(out), TABLES);
    Ok(())
}

/// After a failed run, OUT_DIR holds only its error output, `error.txt`
/// says what `needle` says, and nothing is left beside it.
fn assert_error_output(out: &Path, o: &Output, needle: &str, also: &[&str]) -> TestResult {
    assert_eq!(o.status.code(), Some(1), "stderr: {}", stderr(o));
    let mut expected: Vec<String> = also.iter().map(|s| (*s).to_owned()).collect();
    expected.push("error.txt".to_owned());
    expected.sort();
    assert_eq!(names(out), expected, "stderr: {}", stderr(o));
    let message = std::fs::read_to_string(out.join("error.txt"))?;
    assert!(
        message.contains(needle),
        "error.txt {message:?} lacks {needle:?}"
    );
    assert!(
        stderr(o).contains(message.trim_end()),
        "stderr: {}",
        stderr(o)
    );
    let parent = out.parent().ok_or("no parent")?;
    assert_eq!(leftovers(parent), Vec::<String>::new());
    Ok(())
}

#[test]
fn defect_9a_a_failed_run_replaces_the_previous_tables_with_its_error() -> TestResult {
    let root = scratch("9a")?;
    let (data, out) = (root.join("data"), root.join("out"));
    write_data(&data)?;
    let run_on = |data: &Path, extra: &[&str]| {
        let mut args = vec![data.as_os_str(), out.as_os_str()];
        args.extend(extra.iter().map(|s| os(s)));
        report(&args)
    };

    // A file lacks a required column.
    good_run(&data, &out)?;
    let bad = root.join("no-column");
    write_data(&bad)?;
    std::fs::write(
        bad.join("contacts.csv"),
        "contact_id,prospect_id,occurred_at,channel\nc1,p1,2026-06-01T09:00:00Z,phone\n",
    )?;
    let o = run_on(&bad, &[]);
    assert_error_output(
        &out,
        &o,
        "contacts.csv: missing required column `rep_id`",
        &[],
    )?;

    // A file is missing.
    good_run(&data, &out)?;
    let bad = root.join("no-file");
    write_data(&bad)?;
    std::fs::remove_file(bad.join("meetings.csv"))?;
    let o = run_on(&bad, &[]);
    assert_error_output(&out, &o, "meetings.csv", &[])?;

    // Invalid UTF-8.
    good_run(&data, &out)?;
    let bad = root.join("not-utf8");
    write_data(&bad)?;
    std::fs::write(bad.join("reps.csv"), b"rep_id,name\nana,An\xff\n")?;
    let o = run_on(&bad, &[]);
    assert_error_output(&out, &o, "reps.csv", &[])?;

    // A missing `--clusters` file.
    good_run(&data, &out)?;
    let clusters = root.join("no-such-clusters.csv");
    let o = run_on(&data, &["--clusters", clusters.to_str().ok_or("path")?]);
    assert_error_output(&out, &o, "no-such-clusters.csv", &[])?;

    // Strict-mode rejections: every rejection listed, no tables.
    good_run(&data, &out)?;
    let bad = root.join("rejected");
    write_data(&bad)?;
    std::fs::write(
        bad.join("contacts.csv"),
        "contact_id,rep_id,prospect_id,occurred_at,channel\n\
         c1,ana,p1,yesterday,phone\nc2,zoe,p1,2026-06-01T09:00:00Z,phone\n",
    )?;
    let o = run_on(&bad, &["--json"]);
    assert_error_output(
        &out,
        &o,
        "2 record(s) rejected in strict mode",
        &["rejections.csv", "rejections.json"],
    )?;
    assert_eq!(
        std::fs::read_to_string(out.join("rejections.csv"))?,
        "kind,row,id,field,reason\ncontact,1,c1,occurred_at,bad_time\n\
         contact,2,c2,rep_id,unknown_rep\n"
    );

    // The next good run replaces the error output with tables.
    good_run(&data, &out)?;
    assert_eq!(leftovers(&root), Vec::<String>::new());

    // Bad arguments leave OUT_DIR untouched (exit 2).
    let before = contents(&out);
    let o = run_on(&data, &["--period", "fortnight"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(contents(&out), before);
    std::fs::remove_dir_all(&root)?;
    Ok(())
}

#[test]
fn defect_9b_a_killed_run_leaves_no_mix_and_its_leftovers_are_cleaned() -> TestResult {
    let root = scratch("9b")?;
    let (data, out) = (root.join("data"), root.join("out"));
    write_data(&data)?;
    good_run(&data, &out)?;
    let expected = contents(&out);

    // What a run killed mid-swap leaves: its staging folder (complete or
    // not) and the previous content set aside.
    let staging = root.join(".out.sm-staging-4000000-0");
    let old = root.join(".out.sm-old-4000000-0");
    for dir in [&staging, &old] {
        std::fs::create_dir(dir)?;
        std::fs::write(dir.join("revenue.csv"), "rep_id,per")?;
        std::fs::write(dir.join("findings.csv"), "")?;
    }
    good_run(&data, &out)?;
    assert_eq!(leftovers(&root), Vec::<String>::new());
    assert_eq!(contents(&out), expected);

    // Kill runs at varying moments: OUT_DIR always holds one complete
    // result, and the next run cleans up after the killed one.
    for delay_ms in [0, 2, 5, 10, 20, 40, 80] {
        let mut child = Command::new(examples_dir().join("report"))
            .arg(&data)
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(contents(&out), expected, "after a kill at {delay_ms} ms");
        good_run(&data, &out)?;
        assert_eq!(leftovers(&root), Vec::<String>::new());
    }

    // A folder holding anything else is refused, untouched.
    std::fs::write(out.join("notes.txt"), "mine")?;
    let before = contents(&out);
    let o = report(&[data.as_os_str(), out.as_os_str()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("notes.txt"), "{}", stderr(&o));
    assert_eq!(contents(&out), before);
    assert_eq!(leftovers(&root), Vec::<String>::new());
    std::fs::remove_dir_all(&root)?;
    Ok(())
}

/// A writer that takes `room` bytes, then fails as a full disk does.
struct FullDisk {
    room: usize,
}

impl Write for FullDisk {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.room == 0 {
            return Err(std::io::Error::other("no space left on device"));
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn defect_9c_strict_rejections_are_staged_and_never_published_cut() -> TestResult {
    let root = scratch("9c")?;
    let out = root.join("out");
    let rejections: Vec<Rejection> = (1..=2000)
        .map(|row| Rejection {
            kind: RecordKind::Contact,
            row,
            id: format!("contact, \"number\" {row}"),
            field: "occurred_at".into(),
            reason: Reason::BadTime,
        })
        .collect();
    let mut full = Vec::new();
    write_rejections_csv(&mut full, &rejections)?;

    // A write that fails midway is never published: the folder keeps
    // its previous complete content and no staging folder stays.
    let mut first = OutputDir::begin(&out, &["rejections.csv", "error.txt"])?;
    first.write_file("rejections.csv", |w| write_rejections_csv(w, &rejections))?;
    first.commit()?;
    let mut second = OutputDir::begin(&out, &["rejections.csv", "error.txt"])?;
    let err = second
        .write_file("rejections.csv", |w| {
            let mut cut = FullDisk {
                room: full.len() / 2,
            };
            write_rejections_csv(&mut cut, &rejections)?;
            w.write_all(b"never").map_err(|e| Error::write("x", e))
        })
        .map(|()| "no error")
        .map_err(|e| e.to_string());
    assert!(
        matches!(&err, Err(m) if m.contains("rejections.csv: no space left on device")),
        "{err:?}"
    );
    drop(second);
    assert_eq!(std::fs::read(out.join("rejections.csv"))?, full);
    assert_eq!(leftovers(&root), Vec::<String>::new());

    // Through `report`: the strict run's file is the complete list.
    let data = root.join("data");
    write_data(&data)?;
    let mut contacts = String::from("contact_id,rep_id,prospect_id,occurred_at,channel\n");
    for k in 0..5000 {
        contacts.push_str(&format!("\"c{k}, x\",ana,p1,not a time {k},phone\n"));
    }
    std::fs::write(data.join("contacts.csv"), &contacts)?;
    let o = report(&[data.as_os_str(), out.as_os_str()]);
    assert_error_output(&out, &o, "5000 record(s) rejected", &["rejections.csv"])?;
    let text = std::fs::read_to_string(out.join("rejections.csv"))?;
    assert_eq!(text.lines().count(), 5001);
    assert!(text.ends_with("contact,5000,\"c4999, x\",occurred_at,bad_time\n"));
    std::fs::remove_dir_all(&root)?;
    Ok(())
}

#[test]
fn defect_10_paths_that_are_not_utf8_work() -> TestResult {
    let root = scratch("10")?;
    let data = root.join(OsStr::from_bytes(b"data-\xff"));
    let out = root.join(OsStr::from_bytes(b"out-\xfe\xc0"));
    write_data(&data)?;
    good_run(&data, &out)?;

    // Option values that must be text get a usage error, not a panic.
    let o = report(&[
        data.as_os_str(),
        out.as_os_str(),
        os("--tz"),
        OsStr::from_bytes(b"Europe/\xffBucharest"),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not valid UTF-8"), "{}", stderr(&o));
    assert_eq!(names(&out), TABLES);

    // `dedup` with non-UTF-8 input, output and --explain paths.
    let input = root.join(OsStr::from_bytes(b"in-\xff.csv"));
    std::fs::write(
        &input,
        "prospect_id,name,email\np1,Ion Popescu,ion@x.ro\np2,Ion Popescu,ion@x.ro\n",
    )?;
    let clusters = root.join(OsStr::from_bytes(b"clusters-\xfe.csv"));
    let pairs = root.join(OsStr::from_bytes(b"pairs-\xfd.csv"));
    let o = run(
        "dedup",
        &[
            input.as_os_str(),
            clusters.as_os_str(),
            os("--id"),
            os("prospect_id"),
            os("--explain"),
            pairs.as_os_str(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&clusters)?,
        "record_id,cluster_id\np1,p1\np2,p1\n"
    );
    assert!(std::fs::read_to_string(&pairs)?.starts_with("left,right,cluster_id,"));
    let o = run(
        "dedup",
        &[
            input.as_os_str(),
            clusters.as_os_str(),
            os("--id"),
            OsStr::from_bytes(b"\xff"),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    std::fs::remove_dir_all(&root)?;
    Ok(())
}

#[test]
fn defect_14_every_error_names_its_file() -> TestResult {
    let root = scratch("14")?;
    let input = root.join("people.csv");
    std::fs::write(&input, "rec_id,name\nr1,Ion\n")?;
    let clusters = root.join("clusters.csv");

    // dedup: a missing id column names the input.
    let o = run(
        "dedup",
        &[
            input.as_os_str(),
            clusters.as_os_str(),
            os("--id"),
            os("id"),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("people.csv: missing required column `id`"),
        "{}",
        stderr(&o)
    );

    // dedup: an unwritable --explain path is named, and OUT is not
    // written either (it keeps what it held).
    std::fs::write(&clusters, "earlier")?;
    let pairs = root.join("no-such-folder").join("pairs.csv");
    let o = run(
        "dedup",
        &[
            input.as_os_str(),
            clusters.as_os_str(),
            os("--id"),
            os("rec_id"),
            os("--explain"),
            pairs.as_os_str(),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no-such-folder/pairs.csv"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&clusters)?, "earlier");
    assert_eq!(names(&root), ["clusters.csv", "people.csv"]);

    // The library: readers name their source, writers say what they
    // wrote, and `in_file` names the file; no made-up `<…>` names.
    let err = CsvRecords::from_csv_named("a,b\n".as_bytes(), Path::new("in.csv"), "id")
        .map(|_| ())
        .map_err(|e| e.to_string());
    assert_eq!(err, Err("in.csv: missing required column `id`".to_owned()));
    let mut t = ResultTable::new(&["rep_id"]);
    t.push(vec!["ana".into()]);
    let err = t
        .write_csv(FullDisk { room: 0 })
        .map_err(|e| e.in_file("out/t.csv"));
    assert!(
        matches!(&err, Err(Error::Io { path, .. }) if path == Path::new("out/t.csv")),
        "{err:?}"
    );
    for err in [
        t.write_csv(FullDisk { room: 3 }).map_err(|e| e.to_string()),
        t.write_json(FullDisk { room: 3 })
            .map_err(|e| e.to_string()),
        write_rejections_csv(FullDisk { room: 0 }, &[]).map_err(|e| e.to_string()),
    ] {
        assert!(
            matches!(&err, Err(m) if m.starts_with("cannot write ") && !m.contains('<')),
            "{err:?}"
        );
    }
    std::fs::remove_dir_all(&root)?;
    Ok(())
}
