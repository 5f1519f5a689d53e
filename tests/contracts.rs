//! The v1 contracts: every service, RPC, message, field, enum and enum value is documented, every
//! RPC has its own request and response, `buf lint` (STANDARD) passes, and `buf breaking` (FILE)
//! finds nothing the released v1 promised missing or changed.

use std::{path::PathBuf, process::Command};

use prost::Message;
use prost_types::{DescriptorProto, EnumDescriptorProto, FileDescriptorProto, FileDescriptorSet};

/// Paths in `SourceCodeInfo` that carry a leading comment.
fn commented_paths(file: &FileDescriptorProto) -> Vec<Vec<i32>> {
    file.source_code_info
        .as_ref()
        .map(|info| {
            info.location
                .iter()
                .filter(|l| l.leading_comments.as_deref().is_some_and(|c| !c.trim().is_empty()))
                .map(|l| l.path.clone())
                .collect()
        })
        .unwrap_or_default()
}

fn check_enum(e: &EnumDescriptorProto, path: &[i32], name: &str, commented: &[Vec<i32>], missing: &mut Vec<String>) {
    if !commented.contains(&path.to_vec()) {
        missing.push(format!("enum {name}"));
    }
    for (i, value) in e.value.iter().enumerate() {
        let mut p = path.to_vec();
        p.extend([2, i as i32]);
        if !commented.contains(&p) {
            missing.push(format!("enum value {name}.{}", value.name()));
        }
    }
}

fn check_message(m: &DescriptorProto, path: &[i32], name: &str, commented: &[Vec<i32>], missing: &mut Vec<String>) {
    if !commented.contains(&path.to_vec()) {
        missing.push(format!("message {name}"));
    }
    for (i, field) in m.field.iter().enumerate() {
        let mut p = path.to_vec();
        p.extend([2, i as i32]);
        if !commented.contains(&p) {
            missing.push(format!("field {name}.{}", field.name()));
        }
    }
    for (i, nested) in m.nested_type.iter().enumerate() {
        let mut p = path.to_vec();
        p.extend([3, i as i32]);
        check_message(nested, &p, &format!("{name}.{}", nested.name()), commented, missing);
    }
    for (i, e) in m.enum_type.iter().enumerate() {
        let mut p = path.to_vec();
        p.extend([4, i as i32]);
        check_enum(e, &p, &format!("{name}.{}", e.name()), commented, missing);
    }
}

fn odoomesh_files() -> Vec<FileDescriptorProto> {
    let set = FileDescriptorSet::decode(odoo_mesh::proto::FILE_DESCRIPTOR_SET).expect("descriptor set decodes");
    set.file.into_iter().filter(|f| f.package().starts_with("odoomesh.")).collect()
}

#[test]
fn every_element_of_the_contracts_is_documented() {
    let mut missing = Vec::new();
    let files = odoomesh_files();
    assert_eq!(files.len(), 5, "common plus four services");
    for file in &files {
        let commented = commented_paths(file);
        for (i, m) in file.message_type.iter().enumerate() {
            check_message(m, &[4, i as i32], m.name(), &commented, &mut missing);
        }
        for (i, e) in file.enum_type.iter().enumerate() {
            check_enum(e, &[5, i as i32], e.name(), &commented, &mut missing);
        }
        for (i, s) in file.service.iter().enumerate() {
            if !commented.contains(&vec![6, i as i32]) {
                missing.push(format!("service {}", s.name()));
            }
            for (j, rpc) in s.method.iter().enumerate() {
                if !commented.contains(&vec![6, i as i32, 2, j as i32]) {
                    missing.push(format!("rpc {}.{}", s.name(), rpc.name()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "undocumented:\n{}", missing.join("\n"));
}

#[test]
fn every_rpc_has_its_own_request_and_response_and_no_floats() {
    for file in odoomesh_files() {
        for service in &file.service {
            for rpc in &service.method {
                assert!(rpc.input_type().ends_with(&format!(".{}Request", rpc.name())), "{}", rpc.name());
                assert!(rpc.output_type().ends_with(&format!(".{}Response", rpc.name())), "{}", rpc.name());
            }
        }
        let mut stack: Vec<&DescriptorProto> = file.message_type.iter().collect();
        while let Some(m) = stack.pop() {
            for field in &m.field {
                assert!(
                    !matches!(
                        field.r#type(),
                        prost_types::field_descriptor_proto::Type::Float
                            | prost_types::field_descriptor_proto::Type::Double
                    ),
                    "{}.{} is a float: use Money, Quantity or a decimal string",
                    m.name(),
                    field.name()
                );
            }
            stack.extend(m.nested_type.iter());
        }
    }
}

/// `buf` run in `dir` with `args`: its success and output, or None (skipped) where it is not
/// installed outside CI.
fn buf(dir: &std::path::Path, args: &[&str]) -> Option<(bool, String)> {
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools/node_modules/.bin/buf");
    let buf = if local.exists() { local } else { PathBuf::from("buf") };
    let Ok(output) = Command::new(&buf).args(args).current_dir(dir).output() else {
        assert!(std::env::var_os("CI").is_none(), "buf is required in CI: tests/run installs it");
        eprintln!("skipped: buf not found (run tests/run)");
        return None;
    };
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    Some((output.status.success(), text))
}

fn proto_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("proto")
}

/// The contracts as released: what consumers' generated stubs were built from.
const RELEASED: &str = "released/v1.json";

#[test]
fn buf_lint_passes() {
    let Some((passed, output)) = buf(&proto_dir(), &["lint"]) else { return };
    assert!(passed, "buf lint:\n{output}");
}

#[test]
fn the_contracts_keep_every_promise_of_the_released_v1() {
    let Some((passed, output)) = buf(&proto_dir(), &["breaking", "--against", RELEASED]) else { return };
    assert!(passed, "buf breaking against proto/{RELEASED} (see the README's versioning policy):\n{output}");
}

#[test]
fn removing_a_released_field_is_caught_as_breaking() {
    // The check itself must bite: a copy of the contracts without CreateSalesOrder's request_id.
    let copy = std::env::temp_dir().join(format!("odoo-mesh-breaking-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    copy_dir(&proto_dir(), &copy);
    let order = copy.join("odoomesh/order/v1/order_service.proto");
    let text = std::fs::read_to_string(&order).expect("order proto");
    let start = text.find("message CreateSalesOrderRequest {").expect("the create request");
    let field = start + text[start..].find("string request_id = 1;").expect("its request_id");
    std::fs::write(&order, format!("{}reserved 1;{}", &text[..field], &text[field + "string request_id = 1;".len()..]))
        .expect("write");
    let Some((passed, output)) = buf(&copy, &["breaking", "--against", RELEASED]) else { return };
    let _ = std::fs::remove_dir_all(&copy);
    assert!(!passed, "a deleted field must fail buf breaking:\n{output}");
    assert!(output.contains("request_id") && output.contains("CreateSalesOrderRequest"), "{output}");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").map(|e| e.expect("entry")) {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Metric names (`odoo_mesh_...`) in `text`, histogram series folded into their metric.
fn metric_names(text: &str) -> std::collections::BTreeSet<String> {
    text.match_indices("odoo_mesh_")
        .map(|(at, _)| {
            let name: String =
                text[at..].chars().take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_').collect();
            ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| name.strip_suffix(suffix).filter(|base| base.ends_with("_seconds")))
                .map_or(name.clone(), str::to_owned)
        })
        .collect()
}

#[test]
fn the_dashboard_charts_every_documented_metric_and_nothing_else() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dashboard = std::fs::read_to_string(root.join("deploy/grafana/odoo-mesh-dashboard.json")).expect("dashboard");
    serde_json::from_str::<serde_json::Value>(&dashboard).expect("the dashboard is JSON");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("readme");
    let documented: std::collections::BTreeSet<String> =
        readme.lines().filter(|line| line.starts_with("| `odoo_mesh_")).flat_map(metric_names).collect();
    let charted = metric_names(&dashboard);
    assert!(documented.len() >= 20, "the README's metric table: {documented:?}");
    assert_eq!(charted, documented, "charted (left) and documented (right) metrics differ");
}

#[test]
fn every_metric_the_code_emits_is_documented() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("readme");
    let documented: std::collections::BTreeSet<String> =
        readme.lines().filter(|line| line.starts_with("| `odoo_mesh_")).flat_map(metric_names).collect();
    let mut emitted = std::collections::BTreeSet::new();
    for source in rust_sources() {
        for (at, _) in source.match_indices("!(\"odoo_mesh_") {
            emitted.extend(metric_names(&source[at..].chars().take(80).collect::<String>()));
        }
    }
    assert!(emitted.len() >= 20, "metric names found in the code: {emitted:?}");
    let undocumented: Vec<_> = emitted.difference(&documented).collect();
    assert!(undocumented.is_empty(), "emitted but missing from the README's metric table: {undocumented:?}");
}

/// The text of every Rust source file of the service and the adapter.
fn rust_sources() -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut sources = Vec::new();
    let mut dirs = vec![root.join("services"), root.join("adapter/src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("source dir").map(|e| e.expect("entry").path()) {
            if entry.is_dir() {
                dirs.push(entry);
            } else if entry.extension().is_some_and(|e| e == "rs") {
                sources.push(std::fs::read_to_string(&entry).expect("source"));
            }
        }
    }
    sources
}

#[test]
fn every_histogram_has_buckets_chosen_for_it() {
    let chosen: std::collections::BTreeSet<&str> =
        odoo_mesh::observability::HISTOGRAM_BUCKETS.iter().map(|(name, _)| *name).collect();
    let mut recorded = std::collections::BTreeSet::new();
    for source in rust_sources() {
        for (at, _) in source.match_indices("histogram!(\"") {
            let name: String = source[at + "histogram!(\"".len()..].chars().take_while(|c| *c != '"').collect();
            recorded.insert(name);
        }
    }
    assert!(recorded.len() >= 4, "histograms found in the code: {recorded:?}");
    let without: Vec<_> = recorded.iter().filter(|name| !chosen.contains(name.as_str())).collect();
    assert!(without.is_empty(), "histograms without buckets in observability::HISTOGRAM_BUCKETS: {without:?}");
}
