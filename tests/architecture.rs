//! The one-way architecture, checked: every `crate::` path in `src/` must
//! point up the layer list of `ARCHITECTURE.md` (a module may use only the
//! modules listed above it). Comments and string literals are skipped, so
//! doc links do not count; `use crate::{a, b::c}` groups count every head.
//! `#[cfg(test)]` modules are exempt: a test of a lower layer may drive it
//! through a higher one (a reader's test reads into a `LedgerBuilder`)
//! without the library depending on it.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The layer list between the `layers:begin`/`layers:end` markers: the
/// first word of each line, top to bottom.
fn layers() -> Vec<String> {
    let text = fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let start = text
        .find("<!-- layers:begin -->")
        .expect("layers:begin marker");
    let end = text.find("<!-- layers:end -->").expect("layers:end marker");
    text[start..end]
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with("```") && !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

/// Top-level module of a file under `src/` (`None` for `lib.rs`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib").then(|| name.to_owned())
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Source text with comments, string and char literals blanked out.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').unwrap_or(rest.len());
            i += end;
        } else if rest.starts_with("/*") {
            let end = rest.find("*/").map_or(rest.len(), |e| e + 2);
            i += end;
        } else if let Some(skip) = raw_string_len(rest) {
            i += skip;
            out.push_str("\"\"");
        } else if rest.starts_with('"') {
            let mut j = 1;
            while j < rest.len() {
                match rest.as_bytes()[j] {
                    b'\\' => j += 2,
                    b'"' => break,
                    _ => j += 1,
                }
            }
            i += (j + 1).min(rest.len());
            out.push_str("\"\"");
        } else if let Some(skip) = char_literal_len(rest) {
            i += skip;
            out.push_str("' '");
        } else {
            let ch = rest.chars().next().expect("non-empty");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// `code` without test modules: `#[cfg(…test…)] mod name { … }` blocks
/// (`cfg(test)`, `cfg(all(test, feature = "sim"))`, …).
fn without_test_modules(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(") {
        out.push_str(&rest[..at]);
        let attr_end = rest[at..].find(")]").map_or(rest.len(), |e| at + e + 2);
        let attr = &rest[at..attr_end];
        let after = &rest[attr_end..];
        let is_test_mod = attr
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .any(|w| w == "test")
            && after.trim_start().starts_with("mod ");
        match (is_test_mod, after.find('{')) {
            (true, Some(open)) if !after[..open].contains(';') => {
                rest = &after[block_end(&after[open..]) + open..];
            }
            _ => {
                out.push_str(attr);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Length of the brace-balanced block at the start of `s`.
fn block_end(s: &str) -> usize {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
    }
    s.len()
}

/// Length of a raw string literal `r"…"`, `r#"…"#`, `br"…"` at the start.
fn raw_string_len(s: &str) -> Option<usize> {
    let body = s.strip_prefix("br").or_else(|| s.strip_prefix('r'))?;
    let hashes = body.len() - body.trim_start_matches('#').len();
    let open = body[hashes..].strip_prefix('"')?;
    let close = format!("\"{}", "#".repeat(hashes));
    let end = open.find(&close)?;
    Some(s.len() - open.len() + end + close.len())
}

/// Length of a char literal (`'a'`, `'\n'`, `'\u{1F600}'`) at the start;
/// `None` for lifetimes.
fn char_literal_len(s: &str) -> Option<usize> {
    let rest = s.strip_prefix('\'')?;
    if let Some(esc) = rest.strip_prefix('\\') {
        let close = esc.find('\'')?;
        return Some(2 + close + 1);
    }
    let ch = rest.chars().next()?;
    rest[ch.len_utf8()..]
        .starts_with('\'')
        .then(|| 2 + ch.len_utf8())
}

/// The first path segment of every `crate::` path in `code` (each head of
/// a `crate::{…}` group).
fn crate_heads(code: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // e.g. `some_crate::`
        }
        if let Some(group) = rest.strip_prefix('{') {
            heads.extend(group_heads(group));
        } else {
            heads.push(ident(rest));
        }
    }
    heads
}

/// Heads of the top-level entries of a `{…}` use group.
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0usize;
    let mut at_entry_start = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => at_entry_start = true,
            c if at_entry_start && (c.is_alphanumeric() || c == '_') => {
                heads.push(ident(&group[i..]));
                at_entry_start = false;
            }
            _ => {}
        }
    }
    heads
}

fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Names re-exported at the crate root, mapped to the module they come
/// from (`pub use classify::{Classified, classify};` → Classified → classify).
fn root_reexports(src: &Path) -> BTreeMap<String, String> {
    let lib = code_only(&fs::read_to_string(src.join("lib.rs")).expect("lib.rs"));
    let mut map = BTreeMap::new();
    for stmt in lib.split(';') {
        let Some(at) = stmt.find("pub use ") else {
            continue;
        };
        let path = stmt[at + "pub use ".len()..].trim();
        let module = ident(path);
        let tail = &path[module.len()..];
        let names: Vec<&str> = match tail.find('{') {
            Some(open) => tail[open + 1..].trim_end_matches('}').split(',').collect(),
            None => tail.rsplit("::").next().into_iter().collect(),
        };
        for name in names {
            let name = name.trim();
            let name = name.rsplit("::").next().unwrap_or(name);
            let name = name.split(" as ").last().unwrap_or(name).trim();
            if !name.is_empty() {
                map.insert(name.to_owned(), module.clone());
            }
        }
    }
    map
}

#[test]
fn every_crate_path_points_up_the_layer_list() {
    let layers = layers();
    let rank = |m: &str| layers.iter().position(|l| l == m);
    let src = root().join("src");
    let reexports = root_reexports(&src);
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut violations = Vec::new();
    for file in &files {
        let Some(module) = module_of(&src, file) else {
            continue;
        };
        let Some(own) = rank(&module) else {
            violations.push(format!(
                "{}: module `{module}` is not in ARCHITECTURE.md",
                file.display()
            ));
            continue;
        };
        let code = without_test_modules(&code_only(&fs::read_to_string(file).expect("read")));
        for head in crate_heads(&code) {
            let target = reexports.get(&head).cloned().unwrap_or(head);
            if target == module || target == "self" {
                continue;
            }
            match rank(&target) {
                Some(r) if r < own => {}
                Some(_) => violations.push(format!(
                    "{}: `{module}` uses `{target}`, which ARCHITECTURE.md lists below it",
                    file.strip_prefix(root()).unwrap_or(file).display()
                )),
                None => violations.push(format!(
                    "{}: `{module}` uses `crate::{target}`, not a module of ARCHITECTURE.md",
                    file.strip_prefix(root()).unwrap_or(file).display()
                )),
            }
        }
    }
    violations.sort();
    violations.dedup();
    assert!(
        violations.is_empty(),
        "edges the architecture does not allow:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_layer_list_names_every_module_once() {
    let layers = layers();
    let mut sorted = layers.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        layers.len(),
        "a module listed twice: {layers:?}"
    );
    assert!(
        layers.len() >= 10,
        "layer list not found or too short: {layers:?}"
    );
}

#[test]
fn the_scanner_sees_paths_and_skips_comments() {
    let code = code_only(
        "use crate::{a::X, b, c::{d, e}};\n// crate::hidden\nlet s = \"crate::str\";\nfn f<'a>(x: &'a str) { crate::f::g(); let c = '\"'; crate::h::i(); }",
    );
    assert_eq!(crate_heads(&code), vec!["a", "b", "c", "f", "h"]);
    let code = without_test_modules(
        "use crate::a;\n#[cfg(test)]\nmod tests { use crate::z; fn f() { {} } }\nuse crate::b;",
    );
    assert_eq!(crate_heads(&code), vec!["a", "b"]);
    let code = without_test_modules(
        "#[cfg(feature = \"x\")]\nuse crate::c;\n#[cfg(all(test, feature = \"sim\"))]\nmod t { use crate::sim; }",
    );
    assert_eq!(crate_heads(&code), vec!["c"]);
}
