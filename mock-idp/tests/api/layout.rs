//! The source layout is part of the design (ARCHITECTURE.md): modules import downwards only.
//! This reads the `crate::` and `super::` paths of every module under `src/` (tests and
//! comments aside) and fails on an import cycle, naming it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module path (`http::authorize::request`) → source, for the library (not the binary).
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "bin") {
                    walk(&path, root, out);
                }
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(root).unwrap().with_extension("");
            let mut parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
                parts.pop();
            }
            out.insert(parts.join("::"), std::fs::read_to_string(&path).unwrap());
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    walk(&root, &root, &mut out);
    out
}

/// The code a module runs, without its unit tests and comments.
fn code(source: &str) -> String {
    let source = source
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or_default();
    source
        .lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path named after `prefix` (`crate::` or `super::`), with `a::{b, c::d}` groups
/// expanded one level: enough for this crate's `use` lines.
fn paths_after(code: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (start, _) in code.match_indices(prefix) {
        let rest = &code[start + prefix.len()..];
        let base: String = rest
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == ':')
            .collect();
        let after = &rest[base.len()..];
        let base = base.trim_end_matches(':').to_owned();
        out.push(base.clone());
        if let Some(group) = after.strip_prefix('{') {
            let group = group.split('}').next().unwrap_or_default();
            for item in group.split(',') {
                let item = item.trim().split([' ', '{']).next().unwrap_or_default();
                if !item.is_empty() && item != "self" {
                    out.push(format!("{base}::{item}"));
                }
            }
        }
    }
    out
}

/// The longest module that `path` names.
fn resolve(path: &str, names: &BTreeSet<String>) -> Option<String> {
    let segments: Vec<&str> = path.split("::").collect();
    (1..=segments.len())
        .rev()
        .map(|n| segments[..n].join("::"))
        .find(|candidate| names.contains(candidate))
}

fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    let mut edges = BTreeMap::new();
    for (module, source) in &modules {
        let code = code(source);
        let parent = module.rsplit_once("::").map_or("", |(p, _)| p);
        let named = paths_after(&code, "crate::").into_iter().chain(
            paths_after(&code, "super::").into_iter().map(|p| {
                [parent, p.as_str()]
                    .join("::")
                    .trim_start_matches(':')
                    .to_owned()
            }),
        );
        let targets: BTreeSet<String> = named
            .filter_map(|path| resolve(&path, &names))
            .filter(|target| target != module && !module.starts_with(&format!("{target}::")))
            .collect();
        edges.insert(module.clone(), targets);
    }
    edges
}

/// A cycle through `from`, if any, as the list of modules on it.
/// `done` holds modules already known to lead to no cycle.
fn cycle_from(
    from: &str,
    edges: &BTreeMap<String, BTreeSet<String>>,
    path: &mut Vec<String>,
    done: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if let Some(i) = path.iter().position(|m| m == from) {
        return Some(path[i..].to_vec());
    }
    if done.contains(from) {
        return None;
    }
    path.push(from.to_owned());
    for next in edges.get(from).into_iter().flatten() {
        if let Some(cycle) = cycle_from(next, edges, path, done) {
            return Some(cycle);
        }
    }
    path.pop();
    done.insert(from.to_owned());
    None
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    // Arrange
    let edges = imports();
    assert!(
        edges.len() > 40 && edges["grants"].contains("issuance"),
        "the reader must see the crate's modules and their imports: {edges:?}"
    );

    // Act
    let mut done = BTreeSet::new();
    let cycle = edges
        .keys()
        .find_map(|module| cycle_from(module, &edges, &mut Vec::new(), &mut done));

    // Assert
    if let Some(cycle) = cycle {
        panic!("an import cycle: {}", cycle.join(" -> "));
    }
}

#[test]
fn the_reader_sees_a_cycle_when_there_is_one() {
    // Arrange: engine -> store::sessions -> engine.
    let mut edges = imports();
    edges
        .get_mut("store::sessions")
        .unwrap()
        .insert("engine".to_owned());

    // Act
    let cycle = cycle_from("engine", &edges, &mut Vec::new(), &mut BTreeSet::new());

    // Assert
    let cycle = cycle.expect("the cycle is found");
    assert!(cycle.contains(&"engine".to_owned()) && cycle.contains(&"store::sessions".to_owned()));
}
