//! The C surface, and the only `unsafe` code of the library: handle tables, NULL / UTF-8 /
//! length checks, the panic boundary, and conversion to plain Rust commands. No tracker logic.
//!
//! Conventions (modelled on rustls-ffi): every function returns an `mc_status`; out-params are
//! written only on success; every pointer is checked; strings are NUL-terminated UTF-8 with a
//! length cap; arrays come as pointer + count; `mc_*_free(0)` is a no-op.
#![allow(non_camel_case_types)]
// Exported functions take raw pointers from C by design: each is checked for NULL before use, and
// the pointee's validity is the caller's contract documented in the header (as in rustls-ffi).
#![allow(clippy::not_unsafe_ptr_arg_deref)]

pub mod boundary;
pub mod client;
pub mod error;
pub mod handles;
pub mod host;
pub mod strings;
pub mod tracker;
pub mod types;
