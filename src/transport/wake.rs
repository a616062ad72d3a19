//! The descriptor that ends [`super::Transport::wait`] from another thread: an eventfd on Linux
//! (one `write` to wake, one `read` to reset), a non-blocking pipe elsewhere. It sits in the
//! same `poll` set as libcurl's sockets. Measured against libcurl 7.88's own wake-up socketpair
//! (`curl_multi_wakeup`, a `send`, then reads until EAGAIN) by `benches/c/wake.c`: cheaper for
//! both the waker and the woken thread (docs/performance.md, section 1).

use std::io;
use std::os::fd::RawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The descriptor(s), shared by the transport and its [`Waker`]s; closed with the last of them.
#[derive(Debug)]
pub(crate) struct WakeFd {
    read: RawFd,
    write: RawFd,
    /// False once the transport is gone: a wake-up then fails instead of piling up unread.
    open: AtomicBool,
}

impl WakeFd {
    pub(crate) fn new() -> io::Result<Arc<WakeFd>> {
        let (read, write) = open_fds()?;
        Ok(Arc::new(WakeFd { read, write, open: AtomicBool::new(true) }))
    }

    /// What `poll` watches.
    pub(crate) fn poll_fd(&self) -> RawFd {
        self.read
    }

    /// Resets the descriptor after `poll` saw it readable.
    pub(crate) fn drain(&self) {
        let mut buf = [0u8; 64];
        #[cfg(target_os = "linux")]
        let once = true;
        #[cfg(not(target_os = "linux"))]
        let once = false;
        loop {
            // SAFETY: reads into a local buffer of the stated length from a descriptor we own.
            let n = unsafe { libc::read(self.read, buf.as_mut_ptr().cast(), buf.len()) };
            // An eventfd is reset by one read; a pipe is read until empty (EAGAIN).
            if n <= 0 || once {
                break;
            }
        }
    }

    pub(crate) fn close(&self) {
        self.open.store(false, Ordering::SeqCst);
    }
}

impl Drop for WakeFd {
    fn drop(&mut self) {
        // SAFETY: the descriptors are ours and nothing uses them once the last Arc is gone.
        unsafe {
            libc::close(self.read);
            if self.write != self.read {
                libc::close(self.write);
            }
        }
    }
}

/// Wakes a thread blocked in [`super::Transport::wait`]. `Send + Sync`, cheap to clone. A
/// wake-up that comes while the transport is not waiting ends its next wait at once.
#[derive(Debug, Clone)]
pub struct Waker {
    fd: Arc<WakeFd>,
}

impl Waker {
    pub(crate) fn new(fd: Arc<WakeFd>) -> Waker {
        Waker { fd }
    }

    /// One non-blocking `write`. Fails once the transport is dropped (and does nothing else).
    pub fn wakeup(&self) -> io::Result<()> {
        if !self.fd.open.load(Ordering::SeqCst) {
            return Err(io::Error::new(io::ErrorKind::NotConnected, "the transport is gone"));
        }
        let one: u64 = 1;
        // An eventfd takes an 8-byte counter; a pipe any byte.
        #[cfg(target_os = "linux")]
        let len = std::mem::size_of::<u64>();
        #[cfg(not(target_os = "linux"))]
        let len = 1;
        // SAFETY: writes `len` bytes of a local u64 to a descriptor that lives as long as `fd`.
        let n = unsafe { libc::write(self.fd.write, (&one as *const u64).cast(), len) };
        if n < 0 {
            let e = io::Error::last_os_error();
            // Full (a pipe) or at its maximum count: a wake-up is pending already.
            if e.kind() != io::ErrorKind::WouldBlock {
                return Err(e);
            }
        }
        Ok(())
    }
}

#[cfg(target_os = "linux")]
fn open_fds() -> io::Result<(RawFd, RawFd)> {
    // SAFETY: eventfd takes plain flags and returns a new descriptor or -1.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((fd, fd))
}

#[cfg(not(target_os = "linux"))]
fn open_fds() -> io::Result<(RawFd, RawFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: pipe writes two new descriptors into the array it is given.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    for fd in fds {
        // SAFETY: sets flags on descriptors we just opened.
        unsafe {
            libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
            libc::fcntl(fd, libc::F_SETFL, libc::fcntl(fd, libc::F_GETFL) | libc::O_NONBLOCK);
        }
    }
    Ok((fds[0], fds[1]))
}
