//! The panic boundary every exported function goes through, and the fork guard.
//!
//! A panic must never unwind into C (it would abort the player). `ffi_boundary!` runs the body
//! under `catch_unwind`; a panic becomes `MC_ERR_PANIC` (or a neutral value for functions that
//! return something else), is counted, and poisons the client the call was working on, so later
//! calls fail fast with `MC_ERR_POISONED` instead of touching state a panic may have broken.

use std::cell::{Cell, RefCell};
use std::ffi::c_char;
use std::sync::Once;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use crate::status::mc_status;

/// Runs a body under `catch_unwind`; see the module docs. A status it returns is recorded for
/// `mc_last_error()` (`error.rs`). The `@keep_last_error` form is for the functions that read
/// static strings (`mc_last_error` itself, `mc_status_str`, ...): they leave the message alone.
macro_rules! ffi_boundary {
    (@keep_last_error $($body:tt)*) => {{
        let result = ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| { $($body)* }));
        match result {
            Ok(value) => value,
            Err(_) => $crate::ffi::boundary::PanicValue::panic_value(),
        }
    }};
    ($($body:tt)*) => {{
        // The type name of a fn nested here is the export's path: its name for messages.
        fn here() {}
        $crate::ffi::boundary::enter(::std::any::type_name_of_val(&here));
        let result = ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| { $($body)* }));
        let value = match result {
            Ok(value) => value,
            Err(payload) => {
                $crate::ffi::boundary::on_panic(payload);
                $crate::ffi::boundary::PanicValue::panic_value()
            }
        };
        $crate::ffi::boundary::PanicValue::leave(&value);
        value
    }};
}
pub(crate) use ffi_boundary;

/// The value an export returns when its body panicked, and what its result means for
/// `mc_last_error()`.
pub trait PanicValue {
    fn panic_value() -> Self;
    /// Records the call's outcome for `mc_last_error()`.
    fn leave(&self) {}
}

impl PanicValue for mc_status {
    fn panic_value() -> Self {
        mc_status::MC_ERR_PANIC
    }
    fn leave(&self) {
        crate::ffi::error::leave(*self);
    }
}

impl PanicValue for *const c_char {
    fn panic_value() -> Self {
        c"panic".as_ptr()
    }
}

/// Panics caught before any client existed or outside one (added to no client's stats).
pub static STRAY_PANICS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// The client handle the current call resolved, so a panic can poison it.
    static CURRENT_CLIENT: Cell<u64> = const { Cell::new(0) };
}

/// Called at the start of every boundary with the export's Rust path.
pub fn enter(path: &'static str) {
    CURRENT_CLIENT.with(|c| c.set(0));
    crate::ffi::error::enter(path);
}

/// Records which client the current call works on.
pub fn set_current_client(handle: u64) {
    CURRENT_CLIENT.with(|c| c.set(handle));
}

/// A panic was caught: count it, say so in `mc_last_error()`, and poison the client the call
/// was working on.
pub fn on_panic(payload: Box<dyn std::any::Any + Send>) {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into());
    crate::ffi::error::fail(
        mc_status::MC_ERR_PANIC,
        format!("internal panic caught ({}); the client is poisoned", crate::ffi::error::quote(&what)),
    );
    let handle = CURRENT_CLIENT.with(|c| c.replace(0));
    if !crate::ffi::client::poison(handle) {
        STRAY_PANICS.fetch_add(1, Ordering::Relaxed);
    }
}

/// How many fork()s lie between this process and the one that first created a client: the
/// child handler adds one. Every handle remembers the value it was made under. Threads do not
/// survive fork, so in a child the parent's handles answer `MC_ERR_FORKED` (their worker is
/// gone), while a client created in the child has a worker of its own and works.
static FORK_GENERATION: AtomicU32 = AtomicU32::new(0);
static ATFORK: Once = Once::new();

thread_local! {
    /// The handle tables' write guards, held by the forking thread from just before fork() to
    /// just after it, in the parent and in the child.
    static HELD_ACROSS_FORK: RefCell<Vec<Box<dyn std::any::Any>>> = const { RefCell::new(Vec::new()) };
}

/// Before fork(): take both handle tables' locks, so that none is held by another thread at the
/// instant of the fork; in the child that thread would not exist and the lock would stay held
/// forever (a child creating its client would hang).
extern "C" fn before_fork() {
    let guards = vec![crate::ffi::client::CLIENTS.hold_for_fork(), crate::ffi::tracker::TRACKERS.hold_for_fork()];
    HELD_ACROSS_FORK.with(|h| *h.borrow_mut() = guards);
}

extern "C" fn after_fork_in_parent() {
    HELD_ACROSS_FORK.with(|h| h.borrow_mut().clear());
}

extern "C" fn after_fork_in_child() {
    HELD_ACROSS_FORK.with(|h| h.borrow_mut().clear());
    FORK_GENERATION.fetch_add(1, Ordering::SeqCst);
    #[cfg(feature = "offline")]
    crate::store::release_inherited_locks();
}

/// Registers the fork handlers once (at the first client creation).
pub fn install_fork_guard() {
    ATFORK.call_once(|| unsafe {
        libc::pthread_atfork(Some(before_fork), Some(after_fork_in_parent), Some(after_fork_in_child));
    });
}

/// The fork generation of the running process (see `FORK_GENERATION`).
pub fn fork_generation() -> u32 {
    FORK_GENERATION.load(Ordering::SeqCst)
}

/// `Err(MC_ERR_FORKED)` for an object made under `made_in`, in a child forked since.
pub fn check_forked(made_in: u32) -> Result<(), mc_status> {
    if made_in != fork_generation() { Err(mc_status::MC_ERR_FORKED) } else { Ok(()) }
}

/// Folds a `Result` into the status a C function returns.
pub fn status_of(r: Result<(), mc_status>) -> mc_status {
    match r {
        Ok(()) => mc_status::MC_OK,
        Err(s) => s,
    }
}
