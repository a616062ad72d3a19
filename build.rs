//! Build script: refuses to build against no libcurl, sets the shared library's SONAME, and
//! generates the C header into OUT_DIR (tests/header.rs compares it with include/).

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    // Only the C surface is parsed: src/ffi/ and the status table. Nothing else of the crate can
    // leak a name into the header.
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=src/status.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=build.rs");

    check_libcurl();

    let version = env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let major: u32 = env::var("CARGO_PKG_VERSION_MAJOR").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    let minor: u32 = env::var("CARGO_PKG_VERSION_MINOR").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    let patch: u32 = env::var("CARGO_PKG_VERSION_PATCH").ok().and_then(|v| v.parse().ok()).unwrap_or(0);

    // As cargo-c does: while 0.x every minor release may break the ABI, so it is in the SONAME.
    let soname = if major == 0 {
        format!("libmedia_collection.so.0.{minor}")
    } else {
        format!("libmedia_collection.so.{major}")
    };
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");

    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("media_collection.h");
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml is valid");
    config.after_includes = Some(format!(
        "\n/** Major version of this header; compare with mc_version() at run time. */\n\
         #define MC_VERSION_MAJOR {major}\n\
         /** Minor version of this header. */\n\
         #define MC_VERSION_MINOR {minor}\n\
         /** Patch version of this header. */\n\
         #define MC_VERSION_PATCH {patch}\n\
         /** Version of this header as a string, e.g. \"0.1.0\" (mc_version() returns the library's). */\n\
         #define MC_VERSION_STRING \"{version}\"\n\
         /** (major << 16) | (minor << 8) | patch, for compile-time comparisons. */\n\
         #define MC_VERSION_NUMBER ((MC_VERSION_MAJOR << 16) | (MC_VERSION_MINOR << 8) | MC_VERSION_PATCH)\n"
    ));
    // The init functions take the caller's struct size; these macros pass it, so callers write
    // `mc_client_config_init(&cfg)` and an older caller never gets more bytes than it has.
    let inits = [
        "client_config",
        "tracker_config",
        "media_info",
        "ad_break_info",
        "ad_info",
        "chapter_info",
        "qoe",
        "stats",
        "host_wait",
    ];
    let mut trailer = String::from("\n");
    for n in inits {
        trailer.push_str(&format!(
            "/** Fill *p (an mc_{n}) with its defaults and struct_size = sizeof *p; see mc_{n}_init_sized(). */\n\
             #define mc_{n}_init(p) mc_{n}_init_sized((p), sizeof *(p))\n"
        ));
    }
    config.after_includes = Some(format!("{}{trailer}", config.after_includes.take().unwrap_or_default()));
    match cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/ffi/mod.rs"))
        .with_src(crate_dir.join("src/status.rs"))
        .generate()
    {
        Ok(bindings) => {
            bindings.write_to_file(&out);
        }
        Err(e) => panic!("cbindgen could not generate the header: {e}"),
    }
}

/// The oldest libcurl the library links against: the curl crate is built with its
/// `poll_7_68_0` feature, whose code references `curl_multi_poll` (7.66.0) and
/// `curl_multi_wakeup` (7.68.0). The transport itself needs `curl_multi_socket_action`
/// (7.15.4); newer options (CURLOPT_PROTOCOLS_STR, CURLOPT_MAXLIFETIME_CONN) fall back at run
/// time.
const MIN_LIBCURL: &str = "7.68.0";

/// An older libcurl would fail at link time with an undefined `curl_multi_wakeup`: say it here.
fn check_libcurl_version() {
    let ok = Command::new("pkg-config").args(["--atleast-version", MIN_LIBCURL, "libcurl"]).status();
    if ok.is_ok_and(|s| s.success()) {
        return;
    }
    let found = Command::new("pkg-config")
        .args(["--modversion", "libcurl"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "an unknown version".to_owned());
    panic!(
        "\n\nmedia-collection needs libcurl {MIN_LIBCURL} or newer (it links curl_multi_poll and curl_multi_wakeup), \
         and pkg-config finds libcurl {found}.\nInstall a newer libcurl's development files, or build \
         libcurl from source with `--features vendored`.\n\n"
    );
}

/// Without the `vendored` feature we link the system libcurl. curl-sys would otherwise quietly
/// build a bundled curl without TLS when pkg-config finds none: stop with a clear message.
fn check_libcurl() {
    if env::var_os("CARGO_FEATURE_VENDORED").is_some() {
        return;
    }
    let found = Command::new("pkg-config").args(["--exists", "libcurl"]).status().map(|s| s.success());
    match found {
        Ok(true) => check_libcurl_version(),
        Ok(false) => panic!(
            "\n\nmedia-collection needs the system libcurl development files, and pkg-config does not \
             find libcurl.\nInstall them (Debian/Ubuntu: `apt-get install libcurl4-openssl-dev pkg-config`, \
             or run scripts/install-deps.sh),\nor build libcurl from source with `--features vendored`.\n\n"
        ),
        Err(_) => panic!(
            "\n\nmedia-collection needs pkg-config to find the system libcurl, and pkg-config is not \
             installed.\nInstall it (Debian/Ubuntu: `apt-get install pkg-config libcurl4-openssl-dev`, or run \
             scripts/install-deps.sh),\nor build libcurl from source with `--features vendored`.\n\n"
        ),
    }
}
