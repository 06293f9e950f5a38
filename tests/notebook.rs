//! `examples/notebook.ipynb` is generated from `examples/notebook_cells.rs`
//! (`cargo run --example notebook_cells --features plot -- --write-notebook`).
//! This test compiles that program's cells into the test, checks that the
//! notebook holds exactly those cells (so the notebook's code compiles
//! against the current API), and runs them on the shipped data.
#![cfg(feature = "plot")]

#[allow(dead_code)]
#[path = "../examples/notebook_cells.rs"]
mod notebook_cells;

use std::path::Path;

use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const NOTEBOOK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/notebook.ipynb");
const PROGRAM: &str = include_str!("../examples/notebook_cells.rs");

fn text(v: &Value) -> String {
    match v {
        Value::Array(lines) => lines.iter().filter_map(Value::as_str).collect(),
        Value::String(s) => s.clone(),
        _ => String::new(),
    }
}

#[test]
fn notebook_holds_the_cells_of_the_program() -> TestResult {
    let nb: Value = serde_json::from_str(&std::fs::read_to_string(NOTEBOOK)?)?;
    assert_eq!(nb["nbformat"], 4);
    assert_eq!(nb["metadata"]["kernelspec"]["name"], "rust");
    assert_eq!(nb["metadata"]["kernelspec"]["language"], "rust");
    let got: Vec<(String, String)> = nb["cells"]
        .as_array()
        .ok_or("no cells")?
        .iter()
        .map(|c| {
            (
                c["cell_type"].as_str().unwrap_or("").to_owned(),
                text(&c["source"]),
            )
        })
        .collect();
    let want: Vec<(String, String)> = notebook_cells::notebook_cells(PROGRAM)
        .into_iter()
        .map(|c| (c.kind.to_owned(), c.source))
        .collect();
    assert!(want.len() > 20, "the program has {} cells", want.len());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(
            g, w,
            "cell {i} differs: regenerate the notebook with \
             `cargo run --example notebook_cells --features plot -- --write-notebook`"
        );
    }
    assert_eq!(
        got.len(),
        want.len(),
        "cell count differs: regenerate the notebook"
    );

    // The kernel gets the crate by path, with charts.
    let first_code = want
        .iter()
        .find(|(kind, _)| kind == "code")
        .ok_or("no code")?;
    assert!(
        first_code
            .1
            .starts_with(":dep sales-metrics = { path = \"..\", features = [\"plot\"] }")
    );
    // Outputs are kept, so the notebook reads without running: every code
    // cell after the first shows something.
    let code: Vec<&Value> = nb["cells"]
        .as_array()
        .ok_or("no cells")?
        .iter()
        .filter(|c| c["cell_type"] == "code")
        .collect();
    for (i, c) in code.iter().enumerate().skip(1) {
        let outputs = c["outputs"].as_array().ok_or("no outputs")?;
        assert!(!outputs.is_empty(), "code cell {i} has no output");
    }
    let mimes: Vec<&str> = code
        .iter()
        .flat_map(|c| c["outputs"].as_array().into_iter().flatten())
        .filter_map(|o| o["data"].as_object())
        .flat_map(|d| d.keys().map(String::as_str))
        .collect();
    assert!(mimes.contains(&"text/html") && mimes.contains(&"image/svg+xml"));
    Ok(())
}

#[test]
fn cells_parse_as_documented() {
    let source = "pub(crate) fn cells() -> Result<(), Box<dyn Error>> {\n    \
                  cell!(markdown);\n    // # Title\n    //\n    // Text.\n    \
                  cell!(code);\n    // :dep x = \"1\"\n    \
                  cell!(code);\n    let a = 1;\n    show!(a);\n    \
                  cell!(code);\n    show!(f(\n        1,\n    )?);\n    \
                  Ok(())\n}\n";
    let cells = notebook_cells::notebook_cells(source);
    let got: Vec<(&str, &str)> = cells.iter().map(|c| (c.kind, c.source.as_str())).collect();
    assert_eq!(
        got,
        [
            ("markdown", "# Title\n\nText."),
            ("code", ":dep x = \"1\""),
            ("code", "let a = 1;\na"),
            ("code", "f(\n    1,\n)?"),
        ]
    );
}

#[test]
fn cells_run_on_the_shipped_data() -> TestResult {
    // As in a notebook opened from `examples/`.
    std::env::set_current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"))?;
    notebook_cells::cells()
}
