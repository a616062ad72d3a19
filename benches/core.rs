//! Rust-level figures with criterion (`cargo bench --bench core`): the channel floor, what the
//! worker's core spends to turn a call into a request body, and what one worker turn costs
//! when nothing is due, as the number of open sessions grows. The last one is the profile
//! behind the 10 000-session figure of docs/performance.md: every turn walks every tracker.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use media_collection::core::{Call, Core, CoreConfig, MediaInfo, Outcome, Snapshot, Stamp, TrackerConfig, TrackerSlot};
use media_collection::stats::Stats;
use media_collection::worker::Command;

fn stamp(base: Instant, ms: u64) -> Stamp {
    Stamp { mono: base + Duration::from_millis(ms), ts: 1_700_000_000_000 + ms as i64 }
}

/// A call's snapshot: no QoE set.
fn snap(at: Stamp, playhead: f64) -> Snapshot {
    Snapshot { at, playhead, qoe: None }
}

fn media(i: u64) -> Box<MediaInfo> {
    Box::new(MediaInfo {
        id: format!("media-{i}"),
        name: "Bench".into(),
        length: 3600.0,
        content_type: "vod".into(),
        initial_playhead: 0.0,
        preroll_wait: Some(Duration::ZERO),
        ..MediaInfo::default()
    })
}

/// A core with `n` playing sessions whose sids are known and nothing in flight.
fn core_with_sessions(n: u64, base: Instant) -> Core {
    let mut core = Core::new(CoreConfig::default(), Arc::new(Stats::new()), 7);
    for i in 0..n {
        core.add_tracker(i, TrackerConfig::default(), Arc::new(TrackerSlot::new()));
        core.handle_call(i, snap(stamp(base, 0), 0.0), Call::SessionStart { media: media(i), metadata: vec![] });
        core.handle_call(i, snap(stamp(base, 0), 0.0), Call::Play);
    }
    settle(&mut core, stamp(base, 1));
    core
}

/// Answers every request 201/204 at `now` until none is left.
fn settle(core: &mut Core, now: Stamp) {
    while let Some(req) = core.poll_request() {
        let location = Some(format!("/api/v1/sessions/sid{}", req.tracker));
        let status = if req.path.ends_with("sessions") { 201 } else { 204 };
        core.handle_response(req.id, now, Outcome::Http { status, location, retry_after: None, body: Vec::new() });
    }
    while core.poll_notice().is_some() {}
}

fn channel_floor(c: &mut Criterion) {
    let (tx, rx) = crossbeam_channel::bounded::<Command>(1 << 16);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s = stop.clone();
    let receiver = std::thread::spawn(move || {
        while !s.load(std::sync::atomic::Ordering::Relaxed) {
            while rx.try_recv().is_ok() {}
            std::hint::spin_loop();
        }
    });
    c.bench_function("floor: try_send of a Command, busy receiver", |b| {
        b.iter(|| {
            let cmd = Command::Call {
                id: 1,
                snap: snap(stamp(Instant::now(), 0), 1.0),
                call: Call::Play,
                dropped_metadata: None,
            };
            let _ = black_box(tx.try_send(cmd));
        })
    });
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    receiver.join().expect("receiver");
}

fn call_to_request(c: &mut Criterion) {
    let base = Instant::now();
    let mut core = core_with_sessions(1, base);
    let mut ms = 10;
    let mut playing = true;
    c.bench_function("core: pause/play call -> request JSON -> 204", |b| {
        b.iter(|| {
            ms += 1;
            let call = if playing { Call::Pause } else { Call::Play };
            playing = !playing;
            core.handle_call(0, snap(stamp(base, ms), 1.0), call);
            let req = core.poll_request().expect("a request");
            core.handle_response(
                req.id,
                stamp(base, ms),
                Outcome::Http { status: 204, location: None, retry_after: None, body: Vec::new() },
            );
            while core.poll_notice().is_some() {}
            black_box(req.body.len())
        })
    });
}

fn idle_turn(c: &mut Criterion) {
    let mut g = c.benchmark_group("worker turn with nothing due (handle_timeout + poll_request + poll_timeout)");
    for n in [1u64, 1000, 10_000] {
        let base = Instant::now();
        let mut core = core_with_sessions(n, base);
        let now = stamp(base, 2);
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                core.handle_timeout(now);
                black_box(core.poll_request());
                black_box(core.poll_timeout())
            })
        });
    }
    g.finish();
}

/// The ping run of docs/performance.md without the I/O: 10 000 sessions started 1 ms apart ping
/// every 10 s, so each 1 ms turn has one ping due, sent and answered. Time per turn / 1 ms is
/// the core's share of a CPU.
fn pinging_turn(c: &mut Criterion) {
    let n = 10_000u64;
    let base = Instant::now();
    let mut core = Core::new(CoreConfig::default(), Arc::new(Stats::new()), 7);
    for i in 0..n {
        core.add_tracker(i, TrackerConfig::default(), Arc::new(TrackerSlot::new()));
        core.handle_call(i, snap(stamp(base, i), 0.0), Call::SessionStart { media: media(i), metadata: vec![] });
        core.handle_call(i, snap(stamp(base, i), 0.0), Call::Play);
    }
    settle(&mut core, stamp(base, n));
    let mut ms = n;
    c.bench_function("worker turn, 10 000 sessions pinging every 10 s (1 ms of clock per turn)", |b| {
        b.iter(|| {
            ms += 1;
            let now = stamp(base, ms);
            core.handle_timeout(now);
            settle(&mut core, now);
            black_box(core.poll_timeout())
        })
    });
}

criterion_group!(benches, channel_floor, call_to_request, idle_turn, pinging_turn);
criterion_main!(benches);
