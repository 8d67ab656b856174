//! The module map of docs/ARCHITECTURE.md, checked against the code: for
//! every crate in crates/, the doc's line "Layers of CRATE, bottom to top:
//! a, b, c." lists every top-level module of its `src/`, and a module
//! refers (`crate::x`, `use crate::{x, …}`) only to modules listed below
//! it. So the layers import downward only, there is no cycle, and the map
//! cannot rot.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// The layers the doc gives for each crate, bottom first.
fn documented_layers() -> BTreeMap<String, Vec<String>> {
    let doc =
        fs::read_to_string(workspace().join("docs/ARCHITECTURE.md")).expect("docs/ARCHITECTURE.md");
    let mut layers = BTreeMap::new();
    for line in doc.lines() {
        let Some(rest) = line.trim().strip_prefix("Layers of ") else { continue };
        let (krate, list) =
            rest.split_once(", bottom to top: ").expect("\"Layers of C, bottom to top: …\"");
        let modules = list
            .trim_end_matches('.')
            .split(',')
            .map(|m| m.trim().trim_matches('`').to_owned())
            .collect();
        layers.insert(krate.trim_matches('`').to_owned(), modules);
    }
    layers
}

/// The top-level module a source file belongs to (`None` for the root).
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_owned();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_owned();
    (!matches!(name.as_str(), "lib" | "main" | "bin")).then_some(name)
}

/// The crate modules a piece of Rust source refers to.
fn referred(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let ident = |s: &str| -> Option<String> {
        let name: String =
            s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        (!name.is_empty() && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_'))
            .then_some(name)
    };
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        let before = rest[..at].chars().last();
        if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
            if let Some(group) = after.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                found.extend(group[..end].split(',').filter_map(|item| ident(item.trim())));
            } else if let Some(name) = ident(after) {
                found.insert(name);
            }
        }
        rest = after;
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_crate_imports_downward_in_the_documented_order() {
    let layers = documented_layers();
    let mut problems = Vec::new();
    let crates_dir = workspace().join("crates");
    let mut crates: Vec<PathBuf> = fs::read_dir(&crates_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("src").is_dir())
        .collect();
    crates.sort();
    assert!(crates.len() >= 4, "found the crates: {crates:?}");
    for krate in crates {
        let name = krate.file_name().unwrap().to_str().unwrap().to_owned();
        let Some(order) = layers.get(&name) else {
            problems.push(format!("{name}: no \"Layers of {name}, bottom to top: …\" line"));
            continue;
        };
        let rank: BTreeMap<&str, usize> =
            order.iter().enumerate().map(|(i, m)| (m.as_str(), i)).collect();
        let src = krate.join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let mut modules = BTreeSet::new();
        for file in &files {
            let Some(module) = top_module(&src, file) else { continue };
            modules.insert(module.clone());
            let Some(&own) = rank.get(module.as_str()) else { continue };
            let text = fs::read_to_string(file).unwrap();
            for target in referred(&text) {
                if target == module {
                    continue;
                }
                // Not a layer: an item of the crate root (a re-export), or a
                // module missing from the map (reported below).
                if let Some(&theirs) = rank.get(target.as_str())
                    && theirs >= own
                {
                    problems.push(format!(
                        "{name}: {} refers to {target}, which is not below {module}",
                        file.strip_prefix(&krate).unwrap().display()
                    ));
                }
            }
        }
        for module in &modules {
            if !rank.contains_key(module.as_str()) {
                problems.push(format!("{name}: module {module} is not in the documented layers"));
            }
        }
        for listed in order {
            if !modules.contains(listed) {
                problems.push(format!("{name}: documented module {listed} does not exist"));
            }
        }
    }
    assert!(problems.is_empty(), "the module map and the code disagree:\n{}", problems.join("\n"));
}

#[test]
fn references_are_read_from_use_lines_and_paths() {
    let text = "use crate::ws::{Message, OpCode};\nuse crate::{conn, http::Request};\nlet x = crate::pubsub::Topic::new(\"a\");\n// not: mycrate::zzz";
    let found: Vec<String> = referred(text).into_iter().collect();
    assert_eq!(found, ["conn", "http", "pubsub", "ws"]);
}
