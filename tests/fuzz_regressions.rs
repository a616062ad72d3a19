//! Replays every input under fuzz/regressions/<target>/ through the same function the cargo-fuzz
//! target runs (fuzz/targets.rs), so a crash found once by scripts/ci-fuzz.sh stays fixed.
//! A local corpus under fuzz/corpus/ (what past runs found; not committed) is replayed too.

#[path = "../fuzz/targets.rs"]
mod targets;

use std::path::Path;

/// A target's name and the body its cargo-fuzz binary runs.
type Target = (&'static str, fn(&[u8]));

const TARGETS: [Target; 4] = [
    ("location", targets::location),
    ("retry_after", targets::retry_after),
    ("store_records", targets::store_records),
    ("c_api_sequence", targets::c_api_sequence),
];

fn replay(kind: &str) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join(kind);
    let mut n = 0;
    for (name, run) in TARGETS {
        let Ok(dir) = std::fs::read_dir(root.join(name)) else { continue };
        let mut files: Vec<_> = dir.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file()).collect();
        files.sort();
        for f in files {
            let data = std::fs::read(&f).expect("read input");
            let r = std::panic::catch_unwind(|| run(&data));
            assert!(r.is_ok(), "{name}: {} fails again", f.display());
            n += 1;
        }
    }
    n
}

#[test]
fn every_kept_crash_input_passes() {
    let n = replay("regressions");
    assert!(n >= 4, "the regression inputs are there ({n})");
}

#[test]
fn the_seed_corpora_pass() {
    replay("corpus");
}

/// A valid record stream round-trips, and cutting it anywhere keeps exactly the whole records
/// before the cut (the decoder's contract, also what the store_records target checks).
#[test]
fn store_records_round_trip_and_every_truncation() {
    let mut stream = Vec::new();
    for (seq, p) in [b"{\"a\":1}".as_slice(), b"", b"xyz"].iter().enumerate() {
        stream.extend(media_collection::store::encode_record(seq as u64, p));
    }
    targets::store_records(&stream);
    for cut in 0..stream.len() {
        targets::store_records(&stream[..cut]);
    }
}
