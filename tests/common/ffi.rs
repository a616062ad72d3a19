//! Clients and sessions made in Rust through the C API, for tests that need no C program.

use std::ffi::CStr;

use media_collection::ffi::client::*;
use media_collection::ffi::types::*;
use media_collection::status::mc_status;

/// A config with `endpoint`, placeholder identities and no pre-roll window; the rest defaults.
/// `endpoint` must outlive the client's creation.
pub fn config(endpoint: &CStr) -> mc_client_config {
    let mut cfg = mc_client_config::defaults();
    cfg.endpoint = endpoint.as_ptr();
    cfg.tracking_server = c"test.sc.omtrdc.net".as_ptr();
    cfg.report_suite = c"test-rsid".as_ptr();
    cfg.org_id = c"TEST@AdobeOrg".as_ptr();
    cfg.preroll_window_ms = 0;
    cfg
}

/// A VOD of `length` seconds called `id`.
pub fn media(id: &CStr, length: f64) -> mc_media_info {
    let mut m = mc_media_info::defaults();
    m.id = id.as_ptr();
    m.name = c"Test media".as_ptr();
    m.content_type = c"vod".as_ptr();
    m.length = length;
    m
}

/// The client's counters.
pub fn stats(client: mc_client_t) -> mc_stats {
    let mut st = mc_stats::defaults();
    assert_eq!(mc_client_stats(client, &mut st), mc_status::MC_OK);
    st
}
