//! The offline side in a build without the `offline` feature: no store, no uploads.
//!
//! `Offline` has no value here (an empty enum), so the worker's `Option<Offline>` is always
//! None and the code that would use it compiles to nothing. `mc_client_new` refuses a
//! `store_dir` in such a build with MC_ERR_UNSUPPORTED (`crate::ffi::client`).

use std::time::Instant;

use crate::config::Callbacks;
pub use crate::config::Privacy;
use crate::core::{Outcome, TrackerId};
use crate::hit::Event;

/// Never created: a client without a store has None in its place.
pub enum Offline {}

impl Offline {
    pub fn record(&mut self, _: TrackerId, _: Vec<Event>, _: i64, _: &Callbacks) {
        match *self {}
    }

    pub fn flush(&mut self, _: &Callbacks) -> bool {
        match *self {}
    }

    pub fn tick(&mut self, _: i64, _: &Callbacks) {
        match *self {}
    }

    pub fn next_deadline(&self, _: Instant, _: i64) -> Option<Instant> {
        match *self {}
    }

    pub fn poll_upload(&mut self, _: u64, _: Instant, _: i64, _: &Callbacks) -> Option<(String, Vec<u8>)> {
        match *self {}
    }

    pub fn upload_in_flight(&self) -> bool {
        match *self {}
    }

    pub fn owns(&self, _: u64) -> bool {
        match *self {}
    }

    pub fn handle_response(&mut self, _: Outcome, _: Instant, _: i64, _: &Callbacks) {
        match *self {}
    }

    pub fn set_network(&mut self, _: bool, _: i64, _: &Callbacks) {
        match *self {}
    }

    pub fn set_privacy(&mut self, _: Privacy, _: &Callbacks) {
        match *self {}
    }
}
