//! Pins the native libraries the static library needs (`--print native-static-libs`), which the
//! README, the Makefile and the pkg-config file list. Builds in its own target directory so it
//! never touches the artifacts the other tests link.

use std::process::Command;

/// What a C program linking `libmedia_collection.a` must add.
const EXPECTED: &str = "-lcurl -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc";

#[test]
fn native_static_libs_are_pinned() {
    let root = env!("CARGO_MANIFEST_DIR");
    let target_dir = std::path::Path::new(root).join("target/native-static-libs");
    let out = Command::new(env!("CARGO"))
        .current_dir(root)
        .args(["rustc", "--lib", "--crate-type", "staticlib", "--target-dir"])
        .arg(&target_dir)
        .args(["--", "--print", "native-static-libs"])
        .output()
        .expect("run cargo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "cargo rustc failed:\n{stderr}");
    let line = stderr
        .lines()
        .find_map(|l| l.split("native-static-libs: ").nth(1))
        .unwrap_or_else(|| panic!("no native-static-libs line in:\n{stderr}"));
    assert_eq!(line.trim(), EXPECTED, "update the README, Makefile and tests/common if this changed");
    let makefile = std::fs::read_to_string(std::path::Path::new(root).join("Makefile")).expect("Makefile");
    assert!(makefile.contains(EXPECTED), "the Makefile must link with the pinned list");
}
