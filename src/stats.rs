//! The one table of counters. Every event that does not reach the server is counted here by
//! reason; `mc_client_stats` copies them into `mc_stats`. Indices are fixed forever and match the
//! field order of `mc_stats` (after `struct_size`).
//!
//! Names used in the reliability notes map as: `server_rejected_400` → `rejected_400`,
//! `session_gone_404_410` → `session_gone`, `shutdown_timeout` → `shut_down`.

use std::sync::atomic::{AtomicU64, Ordering};

/// One counter of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum Counter {
    /// Event calls accepted onto the queue to the worker.
    CallsAccepted = 0,
    /// MC events produced by the tracker rules (pings included).
    HitsGenerated,
    /// Events the server accepted (2xx), `sessionStart` included.
    EventsDelivered,
    /// Sessions whose `sessionStart` got a 201 with a usable `Location`.
    SessionsStarted,
    /// HTTP requests started.
    RequestsSent,
    /// Requests sent again after a retryable failure.
    Retries,
    /// Calls the tracker rules rejected (no hit produced).
    IgnoredCall,
    /// Calls dropped because the command queue was full.
    QueueOverflow,
    /// Events dropped because a session's pending queue or the global cap was full.
    CacheOverflow,
    /// Events dropped because their session's `sessionStart` finally failed.
    SessionNotCreated,
    /// Events (or batches) the server rejected with 400.
    Rejected400,
    /// 404/410 answers on events: the session was restarted as a resumed one.
    SessionGone,
    /// Events (or batches) given up after their retry budget.
    RetryExhausted,
    /// Events not delivered when the client shut down.
    ShutDown,
    /// Events or sessions dropped because the user opted out.
    OptedOut,
    /// Disk writes or syncs of the offline store that failed.
    DiskError,
    /// Torn or corrupt records discarded from the offline store on recovery.
    TornTailDiscarded,
    /// Stored sessions evicted by the store caps.
    StoreEvicted,
    /// Stored sessions moved to quarantine (400, corrupt, given up).
    Quarantined,
    /// Downloaded sessions uploaded with a 201.
    BatchesUploaded,
    /// Wall-clock steps of more than 5 s detected (the anchor new sessions take was renewed).
    ClockJumps,
    /// Panics caught at the C boundary or in the worker.
    Panics,
    /// Sessions restarted as resumed ones (idle, 24 h cap, 404/410).
    SessionsResumed,
    /// Metadata entries dropped from a call (NULL or invalid key, NULL value); the call and its
    /// other entries went on.
    MetadataDropped,
    /// Events dropped because their tracker used up its restart budget (404/410 or expiry
    /// restarts per rolling window): nothing more is sent for that media session.
    RestartBudgetExhausted,
    /// Events dropped because their session had delivered nothing for longer than the back
    /// end keeps a session (it restarts as a resumed one, under the restart budget).
    SessionExpired,
    /// Times the endpoint was paused for every session: a `Retry-After`, an outage, a failed probe.
    EndpointPauses,
}

/// Number of counters in the table.
pub const COUNTERS: usize = Counter::EndpointPauses as usize + 1;

/// Counter names, in index order, as they appear in `mc_stats`.
pub const COUNTER_NAMES: [&str; COUNTERS] = [
    "calls_accepted",
    "hits_generated",
    "events_delivered",
    "sessions_started",
    "requests_sent",
    "retries",
    "ignored_call",
    "queue_overflow",
    "cache_overflow",
    "session_not_created",
    "rejected_400",
    "session_gone",
    "retry_exhausted",
    "shut_down",
    "opted_out",
    "disk_error",
    "torn_tail_discarded",
    "store_evicted",
    "quarantined",
    "batches_uploaded",
    "clock_jumps",
    "panics",
    "sessions_resumed",
    "metadata_dropped",
    "restart_budget_exhausted",
    "session_expired",
    "endpoint_pauses",
];

/// Lock-free counters shared by the player threads and the worker.
#[derive(Debug, Default)]
pub struct Stats {
    counters: [AtomicU64; COUNTERS],
}

impl Stats {
    pub fn new() -> Stats {
        Stats::default()
    }

    pub fn incr(&self, c: Counter) {
        self.add(c, 1);
    }

    pub fn add(&self, c: Counter, n: u64) {
        if n > 0 {
            self.counters[c as usize].fetch_add(n, Ordering::Relaxed);
        }
    }

    pub fn get(&self, c: Counter) -> u64 {
        self.counters[c as usize].load(Ordering::Relaxed)
    }

    /// A copy of every counter, in index order.
    pub fn snapshot(&self) -> [u64; COUNTERS] {
        std::array::from_fn(|i| self.counters[i].load(Ordering::Relaxed))
    }
}
