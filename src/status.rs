//! The one table of status codes. Numbers are fixed forever: a code is never renumbered or
//! reused. `mc_status` crosses the ABI as a plain `uint32_t`; codes coming from C are read as
//! integers and never transmuted into this enum.

/// Status returned by every `mc_*` function. 0 is success.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)]
pub enum mc_status {
    /// Success.
    MC_OK = 0,
    /// A required pointer argument was NULL.
    MC_ERR_NULL_ARGUMENT = 1,
    /// An argument is invalid (empty required string, negative or non-finite number, bad enum value).
    MC_ERR_INVALID_ARGUMENT = 2,
    /// A string is not valid UTF-8.
    MC_ERR_INVALID_UTF8 = 3,
    /// A string or array is longer than its documented cap.
    MC_ERR_TOO_LONG = 4,
    /// The handle is 0, stale (freed), or of another kind.
    MC_ERR_INVALID_HANDLE = 5,
    /// `struct_size` is smaller than the first version of the struct, or larger than any known one.
    MC_ERR_STRUCT_SIZE = 6,
    /// A configuration value is outside its documented range.
    MC_ERR_OUT_OF_RANGE = 7,
    /// The endpoint URL is not an http or https URL this library can use.
    MC_ERR_INVALID_URL = 8,
    /// The command queue to the worker is full: the call was dropped and counted (`queue_overflow`).
    MC_ERR_QUEUE_FULL = 9,
    /// The client is shutting down or shut down.
    MC_ERR_SHUT_DOWN = 10,
    /// The operation did not finish within its time bound.
    MC_ERR_TIMEOUT = 11,
    /// A client or tracker made before fork() was used in the child: its worker did not survive
    /// the fork. Create a new client there.
    MC_ERR_FORKED = 12,
    /// An internal panic was caught; the client is poisoned.
    MC_ERR_PANIC = 13,
    /// The client was poisoned by an earlier panic; every call fails fast.
    MC_ERR_POISONED = 14,
    /// The call would wait on the worker from the worker itself (flush or free inside a callback).
    MC_ERR_WOULD_DEADLOCK = 15,
    /// A disk write or sync of the offline store failed (ENOSPC, EIO, ...).
    MC_ERR_DISK = 16,
    /// The offline store directory is locked by another process.
    MC_ERR_STORE_LOCKED = 17,
    /// A downloaded-content tracker needs a store directory in the client configuration.
    MC_ERR_NO_STORE = 18,
    /// The user opted out: nothing is tracked.
    MC_ERR_OPTED_OUT = 19,
    /// The feature is not supported by this build or platform.
    MC_ERR_UNSUPPORTED = 20,
    /// The handle table is full.
    MC_ERR_TOO_MANY_HANDLES = 21,
    /// The worker thread or the HTTP transport could not be started.
    MC_ERR_INIT = 22,
    /// Some events were given up (dropped and counted) since the last flush.
    MC_ERR_DELIVERY = 23,
    /// The offline store directory is writable by group or others and cannot be made private:
    /// it belongs to another user, or it is a shared sticky directory such as /tmp. Use a
    /// directory of this process's own (one it owns is tightened to 0700 by itself).
    MC_ERR_STORE_UNSAFE = 24,
    /// Another thread is inside `mc_client_drive` (or `mc_client_host_poll`) of this host-driven
    /// client right now: nothing was done. Drive a client from one thread, its loop's.
    MC_ERR_BUSY = 25,
}

impl mc_status {
    /// Every code, in numeric order.
    pub const ALL: [mc_status; 26] = [
        mc_status::MC_OK,
        mc_status::MC_ERR_NULL_ARGUMENT,
        mc_status::MC_ERR_INVALID_ARGUMENT,
        mc_status::MC_ERR_INVALID_UTF8,
        mc_status::MC_ERR_TOO_LONG,
        mc_status::MC_ERR_INVALID_HANDLE,
        mc_status::MC_ERR_STRUCT_SIZE,
        mc_status::MC_ERR_OUT_OF_RANGE,
        mc_status::MC_ERR_INVALID_URL,
        mc_status::MC_ERR_QUEUE_FULL,
        mc_status::MC_ERR_SHUT_DOWN,
        mc_status::MC_ERR_TIMEOUT,
        mc_status::MC_ERR_FORKED,
        mc_status::MC_ERR_PANIC,
        mc_status::MC_ERR_POISONED,
        mc_status::MC_ERR_WOULD_DEADLOCK,
        mc_status::MC_ERR_DISK,
        mc_status::MC_ERR_STORE_LOCKED,
        mc_status::MC_ERR_NO_STORE,
        mc_status::MC_ERR_OPTED_OUT,
        mc_status::MC_ERR_UNSUPPORTED,
        mc_status::MC_ERR_TOO_MANY_HANDLES,
        mc_status::MC_ERR_INIT,
        mc_status::MC_ERR_DELIVERY,
        mc_status::MC_ERR_STORE_UNSAFE,
        mc_status::MC_ERR_BUSY,
    ];

    /// The code's name as a NUL-terminated static string (what `mc_status_str` returns).
    pub const fn name_c(self) -> &'static std::ffi::CStr {
        match self {
            mc_status::MC_OK => c"MC_OK",
            mc_status::MC_ERR_NULL_ARGUMENT => c"MC_ERR_NULL_ARGUMENT",
            mc_status::MC_ERR_INVALID_ARGUMENT => c"MC_ERR_INVALID_ARGUMENT",
            mc_status::MC_ERR_INVALID_UTF8 => c"MC_ERR_INVALID_UTF8",
            mc_status::MC_ERR_TOO_LONG => c"MC_ERR_TOO_LONG",
            mc_status::MC_ERR_INVALID_HANDLE => c"MC_ERR_INVALID_HANDLE",
            mc_status::MC_ERR_STRUCT_SIZE => c"MC_ERR_STRUCT_SIZE",
            mc_status::MC_ERR_OUT_OF_RANGE => c"MC_ERR_OUT_OF_RANGE",
            mc_status::MC_ERR_INVALID_URL => c"MC_ERR_INVALID_URL",
            mc_status::MC_ERR_QUEUE_FULL => c"MC_ERR_QUEUE_FULL",
            mc_status::MC_ERR_SHUT_DOWN => c"MC_ERR_SHUT_DOWN",
            mc_status::MC_ERR_TIMEOUT => c"MC_ERR_TIMEOUT",
            mc_status::MC_ERR_FORKED => c"MC_ERR_FORKED",
            mc_status::MC_ERR_PANIC => c"MC_ERR_PANIC",
            mc_status::MC_ERR_POISONED => c"MC_ERR_POISONED",
            mc_status::MC_ERR_WOULD_DEADLOCK => c"MC_ERR_WOULD_DEADLOCK",
            mc_status::MC_ERR_DISK => c"MC_ERR_DISK",
            mc_status::MC_ERR_STORE_LOCKED => c"MC_ERR_STORE_LOCKED",
            mc_status::MC_ERR_NO_STORE => c"MC_ERR_NO_STORE",
            mc_status::MC_ERR_OPTED_OUT => c"MC_ERR_OPTED_OUT",
            mc_status::MC_ERR_UNSUPPORTED => c"MC_ERR_UNSUPPORTED",
            mc_status::MC_ERR_TOO_MANY_HANDLES => c"MC_ERR_TOO_MANY_HANDLES",
            mc_status::MC_ERR_INIT => c"MC_ERR_INIT",
            mc_status::MC_ERR_DELIVERY => c"MC_ERR_DELIVERY",
            mc_status::MC_ERR_STORE_UNSAFE => c"MC_ERR_STORE_UNSAFE",
            mc_status::MC_ERR_BUSY => c"MC_ERR_BUSY",
        }
    }

    /// What the code means, in words: the text of `mc_last_error()` when no refusal site said
    /// more.
    pub const fn description(self) -> &'static str {
        match self {
            mc_status::MC_OK => "success",
            mc_status::MC_ERR_NULL_ARGUMENT => "a required pointer argument was NULL",
            mc_status::MC_ERR_INVALID_ARGUMENT => {
                "an argument is invalid (empty required string, negative or non-finite number, bad enum value)"
            }
            mc_status::MC_ERR_INVALID_UTF8 => "a string is not valid UTF-8",
            mc_status::MC_ERR_TOO_LONG => "a string or array is longer than its documented cap",
            mc_status::MC_ERR_INVALID_HANDLE => "the handle is 0, stale (freed), or of another kind",
            mc_status::MC_ERR_STRUCT_SIZE => {
                "struct_size is smaller than the first version of the struct, or larger than any known one"
            }
            mc_status::MC_ERR_OUT_OF_RANGE => "a configuration value is outside its documented range",
            mc_status::MC_ERR_INVALID_URL => "the endpoint URL is not an http or https URL this library can use",
            mc_status::MC_ERR_QUEUE_FULL => {
                "the command queue to the worker is full: the call was dropped and counted (queue_overflow)"
            }
            mc_status::MC_ERR_SHUT_DOWN => "the client is shutting down or shut down",
            mc_status::MC_ERR_TIMEOUT => "the operation did not finish within its time bound",
            mc_status::MC_ERR_FORKED => "called in a child process after fork(): create a new client there",
            mc_status::MC_ERR_PANIC => "an internal panic was caught; the client is poisoned",
            mc_status::MC_ERR_POISONED => "the client was poisoned by an earlier panic; every call fails fast",
            mc_status::MC_ERR_WOULD_DEADLOCK => {
                "the call would wait on the worker from the worker itself (flush or free inside a callback)"
            }
            mc_status::MC_ERR_DISK => "a disk write or sync of the offline store failed (ENOSPC, EIO, ...)",
            mc_status::MC_ERR_STORE_LOCKED => "the offline store directory is locked by another process",
            mc_status::MC_ERR_NO_STORE => {
                "a downloaded-content tracker needs a store directory in the client configuration"
            }
            mc_status::MC_ERR_OPTED_OUT => "the user opted out: nothing is tracked",
            mc_status::MC_ERR_UNSUPPORTED => "the feature is not supported by this build or platform",
            mc_status::MC_ERR_TOO_MANY_HANDLES => "the handle table is full",
            mc_status::MC_ERR_INIT => "the worker thread or the HTTP transport could not be started",
            mc_status::MC_ERR_DELIVERY => "some events were given up (dropped and counted) since the last flush",
            mc_status::MC_ERR_STORE_UNSAFE => {
                "the offline store directory is writable by group or others and cannot be made private"
            }
            mc_status::MC_ERR_BUSY => "another thread is driving this host-driven client right now: nothing was done",
        }
    }

    /// Reads a code that arrived from C as an integer.
    pub fn from_u32(value: u32) -> Option<mc_status> {
        mc_status::ALL.get(value as usize).copied()
    }

    pub fn name(self) -> &'static str {
        // Names are ASCII, so this cannot fail.
        self.name_c().to_str().unwrap_or("MC_ERR_UNKNOWN")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_dense_and_fixed() {
        for (i, s) in mc_status::ALL.iter().enumerate() {
            assert_eq!(*s as u32, i as u32, "{s:?}");
            assert_eq!(mc_status::from_u32(i as u32), Some(*s));
        }
        assert_eq!(mc_status::from_u32(9999), None);
        assert_eq!(mc_status::MC_ERR_DISK as u32, 16);
        assert_eq!(mc_status::MC_ERR_FORKED.name(), "MC_ERR_FORKED");
    }
}
