//! The recorder conformance suite: written once, run against every recorder.
//!
//! Each function takes a fresh, empty recorder and panics (as a test does)
//! when the recorder does not behave as an application recorder must. The
//! [`recorder_conformance!`](crate::recorder_conformance) macro turns the
//! whole suite into `#[test]` functions for one kind of recorder.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use eventsmith::persistence::{ApplicationRecorder, EventQuery, NotificationQuery, StoredEvent};
use eventsmith::{ErrorKind, Uuid};

/// A stored event with recognisable state.
pub fn stored(originator_id: Uuid, originator_version: u64, topic: &str) -> StoredEvent {
    StoredEvent {
        originator_id,
        originator_version,
        topic: topic.to_owned().into(),
        state: format!("{{\"v\":{originator_version}}}").into_bytes(),
    }
}

fn versions(events: &[StoredEvent]) -> Vec<u64> {
    events.iter().map(|e| e.originator_version).collect()
}

/// A batch in which an aggregate's versions skip one, against what is stored
/// or within the batch, is a `VersionGap` naming the version expected, and
/// stores nothing; versions at or below one already stored or earlier in the
/// batch are conflicts.
pub fn a_batch_that_skips_a_version_stores_nothing(recorder: Arc<dyn ApplicationRecorder>) {
    let id = Uuid::new_v4();
    let other = Uuid::new_v4();
    recorder
        .insert_events(&[stored(id, 1, "t"), stored(id, 2, "t")])
        .unwrap();
    let before = recorder.max_notification_id().unwrap();
    let gap = |batch: &[StoredEvent], version: u64, expected: u64, who: Uuid| {
        let err = recorder.insert_events(batch).unwrap_err();
        assert!(
            matches!(*err.kind(), ErrorKind::VersionGap { originator_id, originator_version, expected: e }
                if originator_id == who && originator_version == version && e == expected),
            "{batch:?}: {err:?}"
        );
        assert!(err.to_string().contains("nothing was saved"), "{err}");
    };
    // After what is stored: the next version is 3.
    gap(&[stored(id, 4, "t")], 4, 3, id);
    gap(&[stored(other, 1, "t"), stored(id, 5, "t")], 5, 3, id);
    gap(&[stored(id, u64::MAX, "t")], u64::MAX, 3, id);
    // A new aggregate starts at 1.
    gap(&[stored(other, 2, "t")], 2, 1, other);
    gap(&[stored(other, 0, "t")], 0, 1, other);
    // Within the batch.
    gap(&[stored(id, 3, "t"), stored(id, 5, "t")], 5, 4, id);
    gap(
        &[
            stored(other, 1, "t"),
            stored(id, 3, "t"),
            stored(other, 3, "t"),
        ],
        3,
        2,
        other,
    );
    // At or below a version stored or earlier in the batch: a conflict.
    for batch in [
        vec![stored(id, 2, "t")],
        vec![stored(id, 3, "t"), stored(id, 3, "t")],
        vec![stored(id, 3, "t"), stored(id, 4, "t"), stored(id, 2, "t")],
    ] {
        let err = recorder.insert_events(&batch).unwrap_err();
        assert!(
            matches!(*err.kind(), ErrorKind::VersionConflict { .. }),
            "{batch:?}: {err:?}"
        );
    }
    assert_eq!(recorder.max_notification_id().unwrap(), before);
    assert_eq!(
        versions(&recorder.select_events(id, EventQuery::new()).unwrap()),
        [1, 2]
    );
    assert!(
        recorder
            .select_events(other, EventQuery::new())
            .unwrap()
            .is_empty()
    );
    // What follows on is stored.
    recorder
        .insert_events(&[
            stored(id, 3, "t"),
            stored(other, 1, "t"),
            stored(id, 4, "t"),
        ])
        .unwrap();
    assert_eq!(
        versions(&recorder.select_events(id, EventQuery::new()).unwrap()),
        [1, 2, 3, 4]
    );
}

/// Inserted events come back as they were; other aggregates stay apart.
pub fn insert_and_select_events(recorder: Arc<dyn ApplicationRecorder>) {
    let id1 = Uuid::new_v4();
    let id2 = Uuid::new_v4();
    assert!(
        recorder
            .select_events(id1, EventQuery::new())
            .unwrap()
            .is_empty()
    );
    let e1 = stored(id1, 1, "topic1");
    let ids = recorder.insert_events(std::slice::from_ref(&e1)).unwrap();
    assert_eq!(ids.len(), 1);
    assert_eq!(
        recorder.select_events(id1, EventQuery::new()).unwrap(),
        vec![e1.clone()]
    );
    let e2 = stored(id1, 2, "topic2");
    let e3 = stored(id2, 1, "topic3");
    let ids2 = recorder.insert_events(&[e2.clone(), e3.clone()]).unwrap();
    assert_eq!(ids2, vec![ids[0] + 1, ids[0] + 2]);
    assert_eq!(
        recorder.select_events(id1, EventQuery::new()).unwrap(),
        vec![e1, e2]
    );
    assert_eq!(
        recorder.select_events(id2, EventQuery::new()).unwrap(),
        vec![e3]
    );
}

/// An (id, version) already stored is a version conflict.
pub fn duplicate_is_conflict(recorder: Arc<dyn ApplicationRecorder>) {
    let id = Uuid::new_v4();
    recorder.insert_events(&[stored(id, 1, "t")]).unwrap();
    let err = recorder.insert_events(&[stored(id, 1, "t")]).unwrap_err();
    assert!(
        matches!(*err.kind(), ErrorKind::VersionConflict { originator_id, originator_version: 1 } if originator_id == id),
        "{err:?}"
    );
    assert_eq!(
        recorder.select_events(id, EventQuery::new()).unwrap().len(),
        1
    );
}

/// A batch holding one conflicting event stores nothing; nor does a batch
/// that repeats an (id, version) within itself.
pub fn batch_with_conflict_stores_nothing(recorder: Arc<dyn ApplicationRecorder>) {
    let id = Uuid::new_v4();
    let other = Uuid::new_v4();
    recorder.insert_events(&[stored(id, 1, "t")]).unwrap();
    let before = recorder.max_notification_id().unwrap();
    let err = recorder
        .insert_events(&[
            stored(other, 1, "t"),
            stored(id, 2, "t"),
            stored(id, 1, "t"),
        ])
        .unwrap_err();
    assert!(
        matches!(*err.kind(), ErrorKind::VersionConflict { .. }),
        "{err:?}"
    );
    assert!(
        recorder
            .select_events(other, EventQuery::new())
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        versions(&recorder.select_events(id, EventQuery::new()).unwrap()),
        vec![1]
    );
    let err = recorder
        .insert_events(&[stored(other, 1, "t"), stored(other, 1, "t")])
        .unwrap_err();
    assert!(
        matches!(*err.kind(), ErrorKind::VersionConflict { .. }),
        "{err:?}"
    );
    assert!(
        recorder
            .select_events(other, EventQuery::new())
            .unwrap()
            .is_empty()
    );
    assert_eq!(recorder.max_notification_id().unwrap(), before);
    // The recorder still works after a failed batch.
    recorder.insert_events(&[stored(other, 1, "t")]).unwrap();
}

/// Selecting events with gt, lte, desc and limit, alone and together.
pub fn select_events_with_bounds(recorder: Arc<dyn ApplicationRecorder>) {
    let id = Uuid::new_v4();
    let events: Vec<_> = (1..=5).map(|v| stored(id, v, "t")).collect();
    recorder.insert_events(&events).unwrap();
    let select = |q: EventQuery| versions(&recorder.select_events(id, q).unwrap());
    assert_eq!(select(EventQuery::new()), vec![1, 2, 3, 4, 5]);
    assert_eq!(select(EventQuery::new().desc()), vec![5, 4, 3, 2, 1]);
    assert_eq!(select(EventQuery::new().gt(2)), vec![3, 4, 5]);
    assert_eq!(select(EventQuery::new().lte(2)), vec![1, 2]);
    assert_eq!(select(EventQuery::new().gt(1).lte(4)), vec![2, 3, 4]);
    assert_eq!(select(EventQuery::new().gt(1).lte(4).desc()), vec![4, 3, 2]);
    assert_eq!(select(EventQuery::new().limit(2)), vec![1, 2]);
    assert_eq!(select(EventQuery::new().desc().limit(2)), vec![5, 4]);
    assert_eq!(select(EventQuery::new().gt(1).limit(2)), vec![2, 3]);
    assert_eq!(select(EventQuery::new().lte(4).desc().limit(1)), vec![4]);
    assert_eq!(select(EventQuery::new().gt(4).lte(2)), Vec::<u64>::new());
    assert_eq!(select(EventQuery::new().gt(5)), Vec::<u64>::new());
    assert_eq!(select(EventQuery::new().limit(0)), Vec::<u64>::new());
}

/// A history longer than any recorder's chunk of a replay (2,500 events,
/// interleaved with another aggregate's) read whole and by every kind of
/// bound across the chunks' ends: each event of the range once, in order,
/// by `select_events` and by `for_each_event` alike.
pub fn a_long_history_reads_back_whole_by_any_bounds(recorder: Arc<dyn ApplicationRecorder>) {
    const N: u64 = 2_500;
    let (id, other) = (Uuid::new_v4(), Uuid::new_v4());
    for first in (1..=N).step_by(500) {
        let batch: Vec<_> = (first..first + 500)
            .flat_map(|v| [stored(id, v, "t"), stored(other, v, "t")])
            .collect();
        recorder.insert_events(&batch).unwrap();
    }
    let queries: Vec<(EventQuery, Vec<u64>)> = vec![
        (EventQuery::new(), (1..=N).collect()),
        (EventQuery::new().desc(), (1..=N).rev().collect()),
        (EventQuery::new().gt(999), (1_000..=N).collect()),
        (EventQuery::new().gt(1_000), (1_001..=N).collect()),
        (EventQuery::new().gt(7).lte(2_001), (8..=2_001).collect()),
        (EventQuery::new().lte(1_000), (1..=1_000).collect()),
        (
            EventQuery::new().lte(2_000).desc(),
            (1..=2_000).rev().collect(),
        ),
        (
            EventQuery::new().gt(10).lte(1_500).desc(),
            (11..=1_500).rev().collect(),
        ),
        (EventQuery::new().limit(1_000), (1..=1_000).collect()),
        (EventQuery::new().limit(1_001), (1..=1_001).collect()),
        (
            EventQuery::new().gt(600).limit(1_800),
            (601..=2_400).collect(),
        ),
        (
            EventQuery::new().desc().limit(1_500),
            (1_001..=N).rev().collect(),
        ),
        (EventQuery::new().gt(N - 1), vec![N]),
        (EventQuery::new().gt(N), vec![]),
        (EventQuery::new().gt(u64::MAX), vec![]),
        (EventQuery::new().lte(0), vec![]),
        (
            EventQuery::new().lte(u64::MAX).desc().limit(2),
            vec![N, N - 1],
        ),
    ];
    for (query, expected) in queries {
        let selected = recorder.select_events(id, query).unwrap();
        assert_eq!(versions(&selected), expected, "select_events {query:?}");
        for e in &selected {
            assert_eq!(e.originator_id, id);
            assert_eq!(e.state, stored(id, e.originator_version, "t").state);
        }
        let mut replayed = Vec::new();
        recorder
            .for_each_event(id, query, &mut |e| {
                assert_eq!(e.originator_id, id);
                assert_eq!(e.state, stored(id, e.originator_version, "t").state);
                replayed.push(e.originator_version);
                Ok(())
            })
            .unwrap();
        assert_eq!(replayed, expected, "for_each_event {query:?}");
    }
}

/// Selecting notifications by start, limit, stop, topics and inclusivity.
pub fn select_notifications(recorder: Arc<dyn ApplicationRecorder>) {
    assert_eq!(recorder.max_notification_id().unwrap(), None);
    assert!(
        recorder
            .select_notifications(&NotificationQuery::new(1, 10))
            .unwrap()
            .is_empty()
    );
    let id1 = Uuid::new_v4();
    let id2 = Uuid::new_v4();
    let id3 = Uuid::new_v4();
    recorder.insert_events(&[stored(id1, 1, "topic1")]).unwrap();
    recorder.insert_events(&[stored(id2, 1, "topic2")]).unwrap();
    recorder.insert_events(&[stored(id3, 1, "topic3")]).unwrap();
    assert_eq!(recorder.max_notification_id().unwrap(), Some(3));
    let select = |q: NotificationQuery| {
        recorder
            .select_notifications(&q)
            .unwrap()
            .into_iter()
            .map(|n| (n.id, n.originator_id))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        select(NotificationQuery::new(1, 10)),
        vec![(1, id1), (2, id2), (3, id3)]
    );
    assert_eq!(
        select(NotificationQuery::new(2, 10)),
        vec![(2, id2), (3, id3)]
    );
    assert_eq!(select(NotificationQuery::new(3, 10)), vec![(3, id3)]);
    assert_eq!(select(NotificationQuery::new(4, 10)), vec![]);
    assert_eq!(
        select(NotificationQuery::new(1, 2)),
        vec![(1, id1), (2, id2)]
    );
    assert_eq!(select(NotificationQuery::new(2, 1)), vec![(2, id2)]);
    assert_eq!(
        select(NotificationQuery::new(1, 10).stop(2)),
        vec![(1, id1), (2, id2)]
    );
    assert_eq!(
        select(NotificationQuery::new(2, 10).stop(2)),
        vec![(2, id2)]
    );
    assert_eq!(select(NotificationQuery::new(3, 10).stop(2)), vec![]);
    assert_eq!(
        select(NotificationQuery::new(1, 10).exclusive()),
        vec![(2, id2), (3, id3)]
    );
    assert_eq!(
        select(NotificationQuery::new(2, 10).exclusive()),
        vec![(3, id3)]
    );
    assert_eq!(
        select(NotificationQuery::new(1, 10).topics(["topic2"])),
        vec![(2, id2)]
    );
    assert_eq!(
        select(NotificationQuery::new(1, 10).topics(["topic1", "topic3"])),
        vec![(1, id1), (3, id3)]
    );
    assert_eq!(
        select(NotificationQuery::new(1, 1).topics(["topic3"])),
        vec![(3, id3)]
    );
    assert_eq!(
        select(NotificationQuery::new(1, 10).topics(["topic4"])),
        vec![]
    );
    assert_eq!(
        select(
            NotificationQuery::new(1, 10)
                .topics(["topic1", "topic3"])
                .stop(2)
        ),
        vec![(1, id1)]
    );
    // A notification carries the stored event whole.
    let n = &recorder
        .select_notifications(&NotificationQuery::new(2, 1))
        .unwrap()[0];
    assert_eq!(n.stored_event(), stored(id2, 1, "topic2"));
}

/// Ten writer threads and two readers at once: no errors, and every event
/// stored exactly once.
pub fn concurrent_writers_and_readers(recorder: Arc<dyn ApplicationRecorder>) {
    const WRITERS: usize = 10;
    const BATCHES: u64 = 20;
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let recorder = recorder.clone();
            let done = done.clone();
            thread::spawn(move || {
                let mut reads = 0u32;
                while !done.load(Ordering::Relaxed) || reads == 0 {
                    let max = recorder.max_notification_id().unwrap().unwrap_or(0);
                    let page = recorder
                        .select_notifications(&NotificationQuery::new(
                            max.saturating_sub(5).max(1),
                            10,
                        ))
                        .unwrap();
                    assert!(page.windows(2).all(|w| w[0].id < w[1].id));
                    reads += 1;
                }
            })
        })
        .collect();
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| {
            let recorder = recorder.clone();
            thread::spawn(move || {
                let id = Uuid::new_v4();
                for v in 1..=BATCHES {
                    recorder
                        .insert_events(&[stored(id, 2 * v - 1, "t"), stored(id, 2 * v, "t")])
                        .unwrap();
                }
                id
            })
        })
        .collect();
    let ids: Vec<Uuid> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    done.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().unwrap();
    }
    let total = WRITERS as u64 * BATCHES * 2;
    assert_eq!(recorder.max_notification_id().unwrap(), Some(total));
    let all = recorder
        .select_notifications(&NotificationQuery::new(1, total as usize + 10))
        .unwrap();
    assert_eq!(all.len() as u64, total);
    crate::check_log(&all);
    for id in ids {
        assert_eq!(
            versions(&recorder.select_events(id, EventQuery::new()).unwrap()),
            (1..=BATCHES * 2).collect::<Vec<_>>()
        );
    }
}

/// Two threads racing to insert 1,000-event batches get notification ids
/// where one batch's are all below the other's.
pub fn racing_batches_do_not_interleave(recorder: Arc<dyn ApplicationRecorder>) {
    for _round in 0..3 {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let recorder = recorder.clone();
                thread::spawn(move || {
                    let id = Uuid::new_v4();
                    let batch: Vec<_> = (1..=1000).map(|v| stored(id, v, "t")).collect();
                    recorder.insert_events(&batch).unwrap()
                })
            })
            .collect();
        let mut batches: Vec<Vec<u64>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        batches.sort_by_key(|b| b[0]);
        for b in &batches {
            assert_eq!(b.len(), 1000);
            assert!(
                b.windows(2).all(|w| w[1] == w[0] + 1),
                "a batch's ids are contiguous"
            );
        }
        assert!(
            batches[0].last() < batches[1].first(),
            "one batch's ids are all below the other's"
        );
    }
}

/// A reader tailing the log while 4 writers insert sees every notification
/// exactly once, in id order, with no gap.
pub fn tailing_reader_sees_every_notification(recorder: Arc<dyn ApplicationRecorder>) {
    const WRITERS: u64 = 4;
    const BATCHES: u64 = 50;
    const PER_BATCH: u64 = 3;
    let total = WRITERS * BATCHES * PER_BATCH;
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| {
            let recorder = recorder.clone();
            thread::spawn(move || {
                let id = Uuid::new_v4();
                for b in 0..BATCHES {
                    let batch: Vec<_> = (1..=PER_BATCH)
                        .map(|v| stored(id, b * PER_BATCH + v, "t"))
                        .collect();
                    recorder.insert_events(&batch).unwrap();
                }
            })
        })
        .collect();
    let mut seen = Vec::with_capacity(total as usize);
    let mut next = 1;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while seen.len() < total as usize {
        assert!(
            std::time::Instant::now() < deadline,
            "reader stalled at {next}"
        );
        let page = recorder
            .select_notifications(&NotificationQuery::new(next, 7))
            .unwrap();
        for n in page {
            assert_eq!(
                n.id, next,
                "the tailing reader skipped or repeated a notification"
            );
            seen.push((n.originator_id, n.originator_version));
            next += 1;
        }
    }
    for w in writers {
        w.join().unwrap();
    }
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), total as usize);
    assert!(
        recorder
            .select_notifications(&NotificationQuery::new(next, 10))
            .unwrap()
            .is_empty()
    );
}

/// Generates one `#[test]` per conformance check, each with a fresh recorder
/// of the backend `$make` makes (an expression of type
/// `Option<`[`Backend`](crate::backends::Backend)`>`, evaluated once per
/// test; `None` skips the test, as [`Backend::postgres`](crate::backends::Backend::postgres)
/// gives when no server answers and none is required).
#[macro_export]
macro_rules! recorder_conformance {
    ($make:expr) => {
        $crate::recorder_conformance!(@tests $make;
            insert_and_select_events,
            duplicate_is_conflict,
            batch_with_conflict_stores_nothing,
            a_batch_that_skips_a_version_stores_nothing,
            select_events_with_bounds,
            a_long_history_reads_back_whole_by_any_bounds,
            select_notifications,
            concurrent_writers_and_readers,
            racing_batches_do_not_interleave,
            tailing_reader_sees_every_notification,
        );
    };
    (@tests $make:expr; $($name:ident),+ $(,)?) => {$(
        #[test]
        fn $name() {
            let backend: Option<$crate::backends::Backend> = $make;
            if let Some(backend) = backend {
                $crate::conformance::$name(backend.recorder("Conformance"));
            }
        }
    )+};
}
