//! Integer handles: kind (8 bits) | generation (24 bits) | index + 1 (32 bits). 0 is never a
//! handle, a handle of another kind never resolves, and a freed slot's generation moves on so a
//! stale handle returns `MC_ERR_INVALID_HANDLE` instead of reaching a new object. A slot whose
//! generation would wrap is retired for good (the slotmap-careful rule).
//!
//! A handle also belongs to the process that made it: after fork() the child's copy of the table
//! answers `MC_ERR_FORKED` for the parent's handles ([`HandleTable::resolve`]), while handles the
//! child makes itself work.
//!
//! Lookups take a read lock only long enough to clone an `Arc`: never across I/O, and writers
//! (create/free) hold it for a few instructions.

use std::sync::{Arc, RwLock};

use crate::ffi::boundary::{check_forked, fork_generation};
use crate::status::mc_status;

const MAX_GENERATION: u32 = (1 << 24) - 1;
const MAX_SLOTS: usize = 1 << 20;

struct Entry<T> {
    generation: u32,
    value: Option<Arc<T>>,
    /// The fork generation the value was inserted under.
    made_in: u32,
}

struct Slots<T> {
    entries: Vec<Entry<T>>,
    free: Vec<u32>,
}

pub struct HandleTable<T> {
    kind: u8,
    slots: RwLock<Slots<T>>,
}

impl<T> HandleTable<T> {
    pub const fn new(kind: u8) -> HandleTable<T> {
        HandleTable { kind, slots: RwLock::new(Slots { entries: Vec::new(), free: Vec::new() }) }
    }

    fn encode(&self, index: u32, generation: u32) -> u64 {
        ((self.kind as u64) << 56) | ((generation as u64) << 32) | (index as u64 + 1)
    }

    fn decode(&self, handle: u64) -> Option<(usize, u32)> {
        if (handle >> 56) as u8 != self.kind {
            return None;
        }
        let low = handle & 0xffff_ffff;
        if low == 0 {
            return None;
        }
        Some(((low - 1) as usize, ((handle >> 32) & 0x00ff_ffff) as u32))
    }

    pub fn insert(&self, value: Arc<T>) -> Result<u64, mc_status> {
        let mut s = self.slots.write().unwrap_or_else(|e| e.into_inner());
        if let Some(index) = s.free.pop() {
            let e = &mut s.entries[index as usize];
            e.value = Some(value);
            e.made_in = fork_generation();
            let generation = e.generation;
            return Ok(self.encode(index, generation));
        }
        if s.entries.len() >= MAX_SLOTS {
            return Err(mc_status::MC_ERR_TOO_MANY_HANDLES);
        }
        let index = s.entries.len() as u32;
        s.entries.push(Entry { generation: 1, value: Some(value), made_in: fork_generation() });
        Ok(self.encode(index, 1))
    }

    pub fn get(&self, handle: u64) -> Option<Arc<T>> {
        let (index, generation) = self.decode(handle)?;
        let s = self.slots.read().unwrap_or_else(|e| e.into_inner());
        let e = s.entries.get(index)?;
        if e.generation != generation {
            return None;
        }
        e.value.clone()
    }

    /// The object behind `handle`: `MC_ERR_INVALID_HANDLE` if there is none, `MC_ERR_FORKED` if
    /// it was made by the process this one was forked from.
    pub fn resolve(&self, handle: u64) -> Result<Arc<T>, mc_status> {
        let invalid = || self.invalid(handle);
        let (index, generation) = self.decode(handle).ok_or_else(invalid)?;
        let s = self.slots.read().unwrap_or_else(|e| e.into_inner());
        let e = s.entries.get(index).filter(|e| e.generation == generation).ok_or_else(invalid)?;
        let value = e.value.clone().ok_or_else(invalid)?;
        check_forked(e.made_in)?;
        Ok(value)
    }

    /// [`HandleTable::remove`] for a handle of this process: as `resolve` says otherwise.
    pub fn take(&self, handle: u64) -> Result<Arc<T>, mc_status> {
        self.resolve(handle)?;
        self.remove(handle).ok_or_else(|| self.invalid(handle))
    }

    /// MC_ERR_INVALID_HANDLE, with what `mc_last_error()` says about it (written only if asked).
    fn invalid(&self, handle: u64) -> mc_status {
        // The kinds the C surface uses (ffi::client and ffi::tracker).
        let kind = match self.kind {
            0x43 => "client",
            0x54 => "tracker",
            _ => "handle",
        };
        crate::ffi::error::invalid_handle(kind, handle)
    }

    /// Removes the object; the handle (and every copy of it) is stale from now on.
    pub fn remove(&self, handle: u64) -> Option<Arc<T>> {
        let (index, generation) = self.decode(handle)?;
        let mut s = self.slots.write().unwrap_or_else(|e| e.into_inner());
        let e = s.entries.get_mut(index)?;
        if e.generation != generation || e.value.is_none() {
            return None;
        }
        let value = e.value.take();
        if e.generation < MAX_GENERATION {
            e.generation += 1;
            s.free.push(index as u32);
        }
        value
    }

    /// Write-locks the table until the returned guard is dropped: held across fork() (see
    /// `boundary::install_fork_guard`), so that no other thread holds it at that instant.
    pub fn hold_for_fork(&'static self) -> Box<dyn std::any::Any>
    where
        T: 'static,
    {
        Box::new(self.slots.write().unwrap_or_else(|e| e.into_inner()))
    }

    /// Every live object (for sweeps such as "the trackers of this client").
    pub fn live(&self) -> Vec<(u64, Arc<T>)> {
        let s = self.slots.read().unwrap_or_else(|e| e.into_inner());
        s.entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.value.clone().map(|v| (self.encode(i as u32, e.generation), v)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_foreign_and_zero_handles_never_resolve() {
        let t: HandleTable<u32> = HandleTable::new(1);
        let other: HandleTable<u32> = HandleTable::new(2);
        let h = t.insert(Arc::new(7)).unwrap();
        assert_ne!(h, 0);
        assert_eq!(*t.get(h).unwrap(), 7);
        assert!(other.get(h).is_none());
        assert!(t.get(0).is_none());
        assert!(t.remove(h).is_some());
        assert!(t.get(h).is_none());
        assert!(t.remove(h).is_none(), "double free is refused");
        let h2 = t.insert(Arc::new(8)).unwrap();
        assert_ne!(h, h2, "a reused slot gets a new generation");
        assert!(t.get(h).is_none());
    }

    #[test]
    fn a_handle_made_before_a_fork_answers_forked_and_stays() {
        let t: HandleTable<u32> = HandleTable::new(1);
        let h = t.insert(Arc::new(7)).unwrap();
        assert_eq!(t.resolve(h).map(|v| *v), Ok(7));
        // As the child sees the parent's entry: made under the generation before its own.
        t.slots.write().unwrap().entries[0].made_in = fork_generation().wrapping_sub(1);
        assert_eq!(t.resolve(h).err(), Some(mc_status::MC_ERR_FORKED));
        assert_eq!(t.take(h).err(), Some(mc_status::MC_ERR_FORKED), "not freed in the child");
        assert!(t.get(h).is_some(), "still there");
        assert_eq!(t.resolve(0).err(), Some(mc_status::MC_ERR_INVALID_HANDLE));
        let mine = t.insert(Arc::new(8)).unwrap();
        assert_eq!(t.take(mine).map(|v| *v), Ok(8), "a handle of this process works");
        assert_eq!(t.resolve(mine).err(), Some(mc_status::MC_ERR_INVALID_HANDLE));
    }

    #[test]
    fn log_lines_name_a_tracker_by_its_slot_and_generation() {
        use crate::core::TrackerName;
        let t: HandleTable<u32> = HandleTable::new(0x54);
        let a = t.insert(Arc::new(0)).unwrap();
        let b = t.insert(Arc::new(1)).unwrap();
        assert_eq!((TrackerName(a).to_string(), TrackerName(b).to_string()), ("t1".into(), "t2".into()));
        t.remove(a);
        let again = t.insert(Arc::new(2)).unwrap();
        assert_eq!(TrackerName(again).to_string(), "t1.2", "a reused slot is told apart");
    }

    #[test]
    fn a_million_cycles_on_one_slot_never_revive_an_old_handle() {
        let t: HandleTable<u32> = HandleTable::new(1);
        let first = t.insert(Arc::new(0)).unwrap();
        t.remove(first);
        for i in 0..1_000_000u32 {
            let h = t.insert(Arc::new(i)).unwrap();
            assert!(t.get(first).is_none());
            t.remove(h);
        }
    }

    #[test]
    fn a_slot_is_retired_before_its_generation_wraps() {
        let t: HandleTable<u32> = HandleTable::new(1);
        let h = t.insert(Arc::new(0)).unwrap();
        {
            let mut s = t.slots.write().unwrap();
            s.entries[0].generation = MAX_GENERATION;
        }
        let h_max = t.encode(0, MAX_GENERATION);
        assert!(t.remove(h_max).is_some());
        let next = t.insert(Arc::new(1)).unwrap();
        assert_ne!(next & 0xffff_ffff, h & 0xffff_ffff, "the retired slot is not reused");
    }
}
