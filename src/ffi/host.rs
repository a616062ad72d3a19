//! `mc_client_drive` and `mc_client_host_poll`: the calls of a host-driven client
//! (`MC_THREADING_HOST`), whose loop runs inside the host's event loop (`worker::host`).

use crate::ffi::boundary::{ffi_boundary, set_current_client, status_of};
use crate::ffi::client::{CLIENTS, ClientInner, check_state};
use crate::ffi::error::fail;
use crate::ffi::types::mc_client_t;
use crate::status::mc_status;
use crate::worker::host::Host;

/// What the host's loop needs to wait: filled by `mc_client_host_poll`. Fill with
/// `mc_host_wait_init`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mc_host_wait {
    /// Size of this struct in bytes (its version), set by `mc_host_wait_init`: leave it as set.
    pub struct_size: u32,
    /// How many entries of `fds` and `events` were written.
    pub n_fds: usize,
    /// How long the host may wait before driving the client with MC_DRIVE_TIMEOUT, in ms, as
    /// poll() takes it: -1 = until a descriptor is ready, 0 = at once.
    pub timeout_ms: i32,
    /// HTTP transfers in flight. A test on its own clock waits for them (real time) before
    /// moving its clock on.
    pub transfers: u32,
    /// The client's next deadline (a ping, a retry, the idle end, ...) on its monotonic clock,
    /// in ms: the caller's `clock_monotonic_ms` scale when it supplied a clock. -1 = none.
    pub next_deadline_ms: i64,
}

impl mc_host_wait {
    pub fn defaults() -> mc_host_wait {
        mc_host_wait {
            struct_size: std::mem::size_of::<mc_host_wait>() as u32,
            n_fds: 0,
            timeout_ms: -1,
            transfers: 0,
            next_deadline_ms: -1,
        }
    }
}

/// The client's host-driven loop, or MC_ERR_UNSUPPORTED naming why not.
fn host_of(client: &ClientInner) -> Result<&Host, mc_status> {
    client.host.as_ref().ok_or_else(|| {
        fail(
            mc_status::MC_ERR_UNSUPPORTED,
            "the client runs its own worker thread: only a client created with \
             threading = MC_THREADING_HOST is driven by the host",
        )
    })
}

fn drive(client: mc_client_t, fd: i32, revents: u32) -> Result<(), mc_status> {
    let c = CLIENTS.resolve(client)?;
    set_current_client(client);
    let host = host_of(&c)?;
    check_state(&c.shared)?;
    host.drive(fd, revents)
}

/// Host-driven mode: runs one turn of the client on the calling thread, the host's loop: what
/// is ready on `fd` goes to libcurl, queued player calls are handled, due pings and retries are
/// sent, finished requests are answered, and the callbacks (log, event, watch, timer) run, all
/// before this returns. Call it when a descriptor the client asked to watch is ready, and with
/// `fd` = MC_DRIVE_TIMEOUT when its timeout passed. A turn does not wait.
///
/// @param client A client created with `threading` = MC_THREADING_HOST.
/// @param fd The ready descriptor, or MC_DRIVE_TIMEOUT (-1). One the client stopped watching
///   meanwhile only takes a turn.
/// @param revents What it is ready for: MC_WATCH_READ | MC_WATCH_WRITE | MC_WATCH_ERROR (from
///   poll(): POLLIN → READ, POLLOUT → WRITE, POLLERR/POLLHUP → ERROR); 0 with MC_DRIVE_TIMEOUT.
/// @return MC_OK when the turn ran.
/// @retval MC_OK The turn ran.
/// @retval MC_ERR_UNSUPPORTED The client runs its own worker thread (the default threading).
/// @retval MC_ERR_BUSY Another thread is driving the client at this moment: nothing was done
///   (the call never waits for it). Drive a client from one thread.
/// @retval MC_ERR_WOULD_DEADLOCK Called from one of this client's callbacks, inside a drive.
/// @retval MC_ERR_INVALID_ARGUMENT `fd` is negative and not MC_DRIVE_TIMEOUT.
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind.
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// The host's loop thread. Never blocks; its time is that of the work it finds (no waiting).
#[unsafe(no_mangle)]
pub extern "C" fn mc_client_drive(client: mc_client_t, fd: i32, revents: u32) -> mc_status {
    ffi_boundary! { status_of(drive(client, fd, revents)) }
}

fn host_poll(
    client: mc_client_t,
    fds: *mut i32,
    events: *mut u32,
    cap: usize,
    out: *mut mc_host_wait,
) -> Result<(), mc_status> {
    let c = CLIENTS.resolve(client)?;
    set_current_client(client);
    let host = host_of(&c)?;
    check_state(&c.shared)?;
    if out.is_null() {
        return Err(fail(mc_status::MC_ERR_NULL_ARGUMENT, "wait: required (NULL)"));
    }
    if cap > 0 && (fds.is_null() || events.is_null()) {
        return Err(fail(mc_status::MC_ERR_NULL_ARGUMENT, format!("fds or events: NULL with cap {cap}")));
    }
    let size = unsafe { std::ptr::read_unaligned(out as *const u32) } as usize;
    let full = std::mem::size_of::<mc_host_wait>();
    if size < full {
        return Err(crate::ffi::types::struct_size_error("wait", size, full, full));
    }
    let (fds, events) = if cap == 0 {
        (&mut [][..], &mut [][..])
    } else {
        // SAFETY: the caller passes arrays of `cap` entries (the header's contract).
        unsafe { (std::slice::from_raw_parts_mut(fds, cap), std::slice::from_raw_parts_mut(events, cap)) }
    };
    let w = host.wait_state(fds, events)?;
    let mut filled = mc_host_wait::defaults();
    filled.n_fds = w.n_fds;
    filled.timeout_ms = w.timeout_ms;
    filled.transfers = w.transfers;
    filled.next_deadline_ms = w.next_deadline_ms;
    unsafe { out.write_unaligned(filled) };
    Ok(())
}

/// Host-driven mode, for a plain poll() loop: which descriptors to watch and how long the host
/// may wait. A loop with the watch and timer callbacks need not call it. Call it before each
/// poll(): the set changes as connections open and close.
///
/// @param client A client created with `threading` = MC_THREADING_HOST.
/// @param fds Receives up to `cap` descriptors (written only on MC_OK).
/// @param events Receives, for each descriptor, what to watch it for: MC_WATCH_READ |
///   MC_WATCH_WRITE (poll(): READ → POLLIN, WRITE → POLLOUT).
/// @param cap The entries `fds` and `events` have room for. 8 covers one session; a client
///   with many sessions in flight at once needs one more per concurrent transfer.
/// @param wait Receives the count, the timeout and the state of the transfers; its
///   `struct_size` must be set first (mc_host_wait_init()).
/// @return MC_OK with `fds`, `events` and `*wait` filled.
/// @retval MC_OK Filled.
/// @retval MC_ERR_NULL_ARGUMENT `wait` is NULL, or `fds` or `events` is NULL with `cap` > 0.
/// @retval MC_ERR_STRUCT_SIZE `wait->struct_size` is not set (mc_host_wait_init()).
/// @retval MC_ERR_TOO_LONG More descriptors than `cap`; mc_last_error() says how many.
/// @retval MC_ERR_UNSUPPORTED The client runs its own worker thread (the default threading).
/// @retval MC_ERR_BUSY Another thread is driving the client at this moment.
/// @retval MC_ERR_WOULD_DEADLOCK Called from one of this client's callbacks, inside a drive.
/// @retval MC_ERR_INVALID_HANDLE The handle is 0, freed or of another kind.
/// @retval MC_ERR_SHUT_DOWN The client is shutting down.
/// @retval MC_ERR_POISONED An earlier panic poisoned the client.
/// @retval MC_ERR_FORKED The handle belongs to the process this one was forked from: create a new client
///   in the child.
/// @retval MC_ERR_PANIC An internal panic was caught; the client is poisoned.
///
/// The host's loop thread; never blocks.
#[unsafe(no_mangle)]
pub extern "C" fn mc_client_host_poll(
    client: mc_client_t,
    fds: *mut i32,
    events: *mut u32,
    cap: usize,
    wait: *mut mc_host_wait,
) -> mc_status {
    ffi_boundary! { status_of(host_poll(client, fds, events, cap, wait)) }
}

/// Fills `*wait` with its defaults and its `struct_size`. Call it through the
/// `mc_host_wait_init(p)` macro, which passes `sizeof *(p)`.
///
/// @param wait The struct to fill.
/// @param size `sizeof *wait` as the caller was compiled (the macro passes it).
/// @return MC_OK when filled.
/// @retval MC_OK Filled.
/// @retval MC_ERR_NULL_ARGUMENT `wait` is NULL.
/// @retval MC_ERR_STRUCT_SIZE `size` is not a version of the struct this library knows.
///
/// Any thread; never blocks; touches no client.
#[unsafe(no_mangle)]
pub extern "C" fn mc_host_wait_init_sized(wait: *mut mc_host_wait, size: usize) -> mc_status {
    ffi_boundary! { crate::ffi::types::init_into(wait, mc_host_wait::defaults(), size) }
}
