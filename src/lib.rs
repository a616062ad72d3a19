//! media-collection: report playback to Adobe's Streaming Media Collection API from native
//! players, through a C ABI. See the README for the architecture.

pub mod backend;
pub mod clock;
pub mod config;
pub mod core;
pub mod ffi;
pub mod hit;
pub mod stats;
pub mod status;
#[cfg(feature = "offline")]
pub mod store;
pub mod transport;
pub mod worker;
