//! The example read model (`world_counts`) follows the universe on a SQLite
//! file, once each, and a reader waiting for a save's notification id reads
//! its own write.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use eventsmith_generated::world::Universe;
use eventsmith_generated::world_counts::WorldCounts;

#[test]
fn the_counts_follow_the_universe_once_each_and_a_wait_reads_its_own_write() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("universe.sqlite");
    let universe = Universe::isolated([
        ("PERSISTENCE_MODULE", "sqlite"),
        ("SQLITE_DBNAME", file.to_str().unwrap()),
    ])
    .unwrap();
    let counts = WorldCounts::open(&dir.path().join("counts.sqlite")).unwrap();
    let earth = universe.create_world("Earth").unwrap();
    universe.make_it_so(earth, "dinosaurs").unwrap();
    assert_eq!(counts.follow(&universe).unwrap(), 2);
    assert_eq!(counts.follow(&universe).unwrap(), 0);
    assert_eq!(counts.things_happened(earth).unwrap(), Some(1));
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop.load(Ordering::SeqCst) {
                counts.follow(&universe).unwrap();
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        for n in 1..=3_u8 {
            universe.make_it_so(earth, format!("thing {n}")).unwrap();
            // Only this world is written to: its n-th thing is notification 2 + n.
            counts
                .wait(2 + u64::from(n), Duration::from_secs(10))
                .unwrap();
            assert_eq!(
                counts.things_happened(earth).unwrap(),
                Some(1 + i64::from(n))
            );
        }
        stop.store(true, Ordering::SeqCst);
    });
    assert_eq!(counts.worlds().unwrap(), 1);
}

/// A replay of an aggregate whose events' application reads no timestamp
/// reads only the first and last events' times, and gives back the same
/// aggregate, `created_on` and `modified_on` included; one whose
/// application does read them (a state field set to the event's time)
/// reads every one.
#[test]
fn a_replay_reads_the_timestamps_its_aggregate_keeps() {
    use eventsmith::Aggregate;
    use eventsmith_generated::inventory::Item;
    use eventsmith_generated::world::World;
    const { assert!(!World::READS_EVENT_TIMES) };
    const { assert!(Item::READS_EVENT_TIMES) };
    let universe = Universe::isolated([]).unwrap();
    let earth = universe.create_world("Earth").unwrap();
    for thing in ["dinosaurs", "trucks", "internet"] {
        std::thread::sleep(Duration::from_millis(2));
        universe.make_it_so(earth, thing).unwrap();
    }
    let replayed = universe.get_world(earth).unwrap();
    // The stored times, read from the log's plain JSON.
    let times: Vec<eventsmith::Timestamp> = eventsmith::NotificationLogReader::new(universe.log())
        .read(1)
        .map(|n| {
            let state: serde_json::Value = serde_json::from_slice(&n.unwrap().state).unwrap();
            eventsmith::domain::parse_timestamp(state["timestamp"]["_data_"].as_str().unwrap())
                .unwrap()
        })
        .collect();
    assert_eq!(times.len(), 4);
    assert_eq!(replayed.created_on(), times[0]);
    assert_eq!(replayed.modified_on(), times[3]);
    assert!(replayed.created_on() < replayed.modified_on());
    assert_eq!(replayed.history(), ["dinosaurs", "trucks", "internet"]);
}
