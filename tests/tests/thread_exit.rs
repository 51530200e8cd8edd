//! Saving, compressing and decompressing from a thread-local's destructor
//! that runs after the runtime's own thread-locals are gone (a "flush on
//! drop" unit of work at thread exit): each works, where reaching for a
//! destroyed thread-local panicked inside a destructor, which aborts the
//! process. (In a file of its own: a failure here aborts this test binary.)

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::mpsc::{Sender, channel};

use eventsmith::persistence::ZlibCompressor;
use eventsmith::{Application, Result};
use eventsmith_generated::world::World;

/// What the destructor did: the save's notification ids, and whether
/// compressed data came back as it went in.
type Report = (Result<Vec<u64>>, bool);

/// Saves a world created beforehand, and compresses and decompresses,
/// when dropped. (The world is created beforehand: the random number
/// generator behind its id is a thread-local too, the `rand` crate's, and
/// it panics when it is gone.)
struct FlushOnDrop(Arc<Application>, Option<World>, Sender<Report>);

impl Drop for FlushOnDrop {
    fn drop(&mut self) {
        let saved = match self.1.as_mut() {
            Some(world) => self.0.save(world),
            None => Ok(Vec::new()),
        };
        let data = b"flushed at thread exit, flushed at thread exit".repeat(10);
        let packed = ZlibCompressor.compress(&data);
        let round_trip = ZlibCompressor
            .decompress(&packed)
            .is_ok_and(|back| back == data);
        let _ = self.2.send((saved, round_trip));
    }
}

thread_local! {
    static FLUSH: RefCell<Option<FlushOnDrop>> = const { RefCell::new(None) };
}

#[test]
fn a_save_from_a_thread_locals_destructor_after_the_runtimes_is_stored() {
    let app = Arc::new(Application::new("ThreadExit").unwrap());
    let (report, reports) = channel();
    let in_thread = Arc::clone(&app);
    std::thread::spawn(move || {
        // Registered first, so destroyed last: after the thread-locals
        // that the save and the compressor below bring into use.
        FLUSH.with(|flush| {
            *flush.borrow_mut() = Some(FlushOnDrop(
                Arc::clone(&in_thread),
                Some(World::create("late")),
                report,
            ))
        });
        in_thread.save(&mut World::create("early")).unwrap();
        let packed = ZlibCompressor.compress(b"warm");
        assert_eq!(ZlibCompressor.decompress(&packed).unwrap(), b"warm");
    })
    .join()
    .unwrap();
    let (saved, round_trip) = reports.recv().unwrap();
    assert_eq!(saved.unwrap(), vec![2]);
    assert!(round_trip, "compressed at thread exit and back");
    assert_eq!(app.log().max_notification_id().unwrap(), Some(2));
}
