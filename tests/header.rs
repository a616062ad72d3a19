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

/// `mc_event_kind_str` names every `MC_EVENT_*` kind the header defines, `mc_status_str` every
/// code: a kind or code added later without its name fails here.
#[test]
fn every_event_kind_and_status_code_has_its_name() {
    use std::ffi::CStr;
    let name = |p: *const std::ffi::c_char| unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned();
    let mut kinds = 0;
    for line in header().lines() {
        let Some(rest) = line.strip_prefix("#define MC_EVENT_") else { continue };
        let (kind, value) = rest.split_once(' ').expect("#define MC_EVENT_X value");
        let value: u32 = value.trim().parse().expect("a number");
        assert_eq!(name(media_collection::ffi::client::mc_event_kind_str(value)), format!("MC_EVENT_{kind}"));
        kinds += 1;
    }
    assert!(kinds >= 7, "found {kinds} MC_EVENT_ kinds");
    for s in media_collection::status::mc_status::ALL {
        assert_eq!(name(media_collection::ffi::client::mc_status_str(s as u32)), s.name());
        assert!(!s.description().is_empty());
    }
}

/// Every function's documentation names each parameter (`@param`) and what it returns
/// (`@return`, and for a status each code with `@retval`), as Doxygen's `WARN_NO_PARAMDOC`
/// demands in `make docs`; checked here too, so a machine without Doxygen still catches it.
#[test]
fn every_function_documents_its_parameters_and_statuses() {
    let lines: Vec<&str> = header().lines().collect();
    let mut checked = 0;
    for (i, l) in lines.iter().enumerate() {
        if !(l.starts_with("mc_status mc_") || l.starts_with("const char *mc_")) {
            continue;
        }
        let mut proto = String::new();
        for p in &lines[i..] {
            proto.push_str(p);
            if p.trim_end().ends_with(';') {
                break;
            }
        }
        let name: String = proto.split('(').next().unwrap().rsplit([' ', '*']).next().unwrap().to_owned();
        let params: Vec<String> = proto
            .split_once('(')
            .unwrap()
            .1
            .trim_end_matches(';')
            .trim_end_matches(')')
            .split(',')
            .map(|p| p.trim().rsplit([' ', '*']).next().unwrap_or("").to_owned())
            .filter(|p| !p.is_empty() && p != "void")
            .collect();
        let doc_start = lines[..i].iter().rposition(|d| d.trim_start().starts_with("/**")).unwrap();
        let doc = lines[doc_start..i].join("\n");
        for p in &params {
            assert!(doc.contains(&format!("@param {p} ")), "{name}: no @param {p}");
        }
        assert!(doc.contains("@return"), "{name}: no @return");
        if proto.starts_with("mc_status") {
            assert!(doc.contains("@retval MC_OK") || doc.contains("@retval MC_ERR_"), "{name}: no @retval");
        }
        checked += 1;
    }
    assert!(checked > 40, "checked {checked} functions");
}
