//! The committed header must be what cbindgen generates from the sources (build.rs writes it
//! into OUT_DIR). `UPDATE_HEADER=1 cargo test --test header` rewrites the committed copy.

use std::path::Path;
use std::sync::OnceLock;

fn committed() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("include/media_collection.h")
}

fn generated() -> String {
    std::fs::read_to_string(concat!(env!("OUT_DIR"), "/media_collection.h")).expect("build.rs wrote the header")
}

/// The committed header, rewritten first when UPDATE_HEADER is set (once, before any test reads
/// it, so the tests never see a half-written file).
fn header() -> &'static str {
    static HEADER: OnceLock<String> = OnceLock::new();
    HEADER.get_or_init(|| {
        if std::env::var_os("UPDATE_HEADER").is_some() {
            std::fs::write(committed(), generated()).expect("write include/media_collection.h");
        }
        std::fs::read_to_string(committed()).unwrap_or_default()
    })
}

#[test]
fn committed_header_is_up_to_date() {
    let generated =
        std::fs::read_to_string(concat!(env!("OUT_DIR"), "/media_collection.h")).expect("build.rs wrote the header");
    if std::env::var_os("UPDATE_HEADER").is_some() {
        std::fs::write(committed(), &generated).expect("write include/media_collection.h");
    }
    let current = std::fs::read_to_string(committed()).unwrap_or_default();
    assert!(
        current == generated,
        "include/media_collection.h is stale: run `UPDATE_HEADER=1 cargo test --test header` and commit it"
    );
}

#[test]
fn version_macros_match_cargo_toml() {
    let header = header();
    let get = |name: &str| -> String {
        header
            .lines()
            .find_map(|l| l.strip_prefix(&format!("#define {name} ")))
            .unwrap_or_else(|| panic!("{name} missing"))
            .trim()
            .to_string()
    };
    assert_eq!(get("MC_VERSION_MAJOR"), env!("CARGO_PKG_VERSION_MAJOR"));
    assert_eq!(get("MC_VERSION_MINOR"), env!("CARGO_PKG_VERSION_MINOR"));
    assert_eq!(get("MC_VERSION_PATCH"), env!("CARGO_PKG_VERSION_PATCH"));
    assert_eq!(get("MC_VERSION_STRING"), format!("\"{}\"", env!("CARGO_PKG_VERSION")));
}

#[test]
fn every_export_is_documented_in_the_header() {
    let lines: Vec<&str> = header().lines().collect();
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with("mc_status mc_") || l.starts_with("const char *mc_") {
            let above = lines[..i].iter().rev().take_while(|p| !p.trim().is_empty()).count();
            assert!(above > 0 && lines[i - 1].trim_start().starts_with('*'), "undocumented: {l}");
        }
    }
}
