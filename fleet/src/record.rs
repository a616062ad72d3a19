//! What the back end saw, per second of virtual time: one row of counters per second. Shards of
//! a fleet record separately and are summed (`merge`).

/// One counter of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// Requests that reached the back end (or tried to, during an outage).
    Requests,
    /// Of them, sessionStarts.
    SessionStarts,
    /// Answered 2xx.
    Ok,
    /// Answered 503.
    Unavailable,
    /// Answered 429.
    Throttled,
    /// Answered 404 or 410.
    Gone,
    /// Refused or timed out (outage).
    Failed,
    /// Events the fleet's cores held at the end of the second (queued, in flight, backing off).
    Held,
}

pub const COLUMNS: usize = 8;
pub const COLUMN_NAMES: [&str; COLUMNS] =
    ["requests", "session_starts", "ok", "unavailable_503", "throttled_429", "gone_404_410", "failed", "held_events"];

#[derive(Debug, Clone)]
pub struct Recorder {
    rows: Vec<[u64; COLUMNS]>,
}

impl Recorder {
    pub fn new(seconds: usize) -> Recorder {
        Recorder { rows: vec![[0; COLUMNS]; seconds] }
    }

    pub fn seconds(&self) -> u64 {
        self.rows.len() as u64
    }

    fn row(&mut self, sec: u64) -> &mut [u64; COLUMNS] {
        let i = sec as usize;
        if i >= self.rows.len() {
            self.rows.resize(i + 1, [0; COLUMNS]);
        }
        &mut self.rows[i]
    }

    pub fn add(&mut self, sec: u64, c: Column, n: u64) {
        self.row(sec)[c as usize] += n;
    }

    pub fn set(&mut self, sec: u64, c: Column, v: u64) {
        self.row(sec)[c as usize] = v;
    }

    pub fn get(&self, sec: u64, c: Column) -> u64 {
        self.rows.get(sec as usize).map_or(0, |r| r[c as usize])
    }

    /// The sum over seconds `[from, to)`.
    pub fn sum(&self, c: Column, from: u64, to: u64) -> u64 {
        (from..to.min(self.seconds())).map(|s| self.get(s, c)).sum()
    }

    pub fn total(&self, c: Column) -> u64 {
        self.sum(c, 0, self.seconds())
    }

    /// Mean per second over `[from, to)`.
    pub fn mean(&self, c: Column, from: u64, to: u64) -> f64 {
        if to <= from { 0.0 } else { self.sum(c, from, to) as f64 / (to - from) as f64 }
    }

    /// The highest mean per second over consecutive `window`-second blocks within `[from, to)`.
    pub fn peak(&self, c: Column, from: u64, to: u64, window: u64) -> f64 {
        let window = window.max(1);
        (from..to).step_by(window as usize).map(|s| self.mean(c, s, (s + window).min(to))).fold(0.0, f64::max)
    }

    /// Adds another shard's rows.
    pub fn merge(&mut self, other: &Recorder) {
        for (s, r) in other.rows.iter().enumerate() {
            let row = self.row(s as u64);
            for (a, b) in row.iter_mut().zip(r) {
                *a += b;
            }
        }
    }

    pub fn rows(&self) -> &[[u64; COLUMNS]] {
        &self.rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_means_peaks_and_merges() {
        let mut a = Recorder::new(4);
        for (s, n) in [(0, 2), (1, 4), (2, 6), (3, 8)] {
            a.add(s, Column::Requests, n);
        }
        assert_eq!(a.total(Column::Requests), 20);
        assert_eq!(a.mean(Column::Requests, 1, 3), 5.0);
        assert_eq!(a.peak(Column::Requests, 0, 4, 2), 7.0);
        let mut b = Recorder::new(2);
        b.add(5, Column::Requests, 1);
        b.merge(&a);
        assert_eq!(b.seconds(), 6);
        assert_eq!(b.total(Column::Requests), 21);
    }
}
