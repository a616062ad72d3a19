//! The queue of notices for the host's callbacks, bounded so a host that never polls cannot
//! make the core grow without end (the oldest notices go first).

use std::collections::VecDeque;

use super::{Counter, EventType, LogLevel, Notice, TrackerId};

/// More than enough for one worker turn; beyond it the oldest notices are lost.
const CAP: usize = 8192;

#[derive(Debug, Default)]
pub(crate) struct Notices {
    queue: VecDeque<Notice>,
}

impl Notices {
    pub(crate) fn push(&mut self, n: Notice) {
        if self.queue.len() >= CAP {
            self.queue.pop_front();
        }
        self.queue.push_back(n);
    }

    pub(crate) fn pop(&mut self) -> Option<Notice> {
        self.queue.pop_front()
    }

    pub(crate) fn log(&mut self, level: LogLevel, message: String) {
        self.push(Notice::Log { level, message });
    }

    pub(crate) fn dropped(&mut self, tracker: TrackerId, event_type: EventType, reason: Counter) {
        self.push(Notice::Dropped { tracker, event_type, reason });
    }
}
