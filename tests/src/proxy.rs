//! A TCP proxy in front of a PostgreSQL server, for tests that count the
//! round trips a client makes, or cut a connection at the worst moment.
//!
//! A round trip is a turn of the conversation: the client writing after the
//! server last wrote (or first). A synchronous client waits for each answer,
//! so the turns it takes are the round trips it waits for.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The proxy: it listens on 127.0.0.1 and forwards each connection to the
/// upstream port, for as long as it lives.
pub struct Proxy {
    /// The port it listens on.
    pub port: u16,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    /// Turns taken by clients, over all connections.
    turns: AtomicUsize,
    /// Whether the next request is to be cut off from its answer.
    cut_next: AtomicBool,
    /// The answers swallowed by cuts.
    swallowed: Mutex<Vec<u8>>,
}

impl Proxy {
    /// A proxy to `127.0.0.1:upstream`.
    ///
    /// # Panics
    ///
    /// When it cannot listen.
    pub fn start(upstream: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared::default());
        let accepting = Arc::clone(&shared);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                relay(client, server, Arc::clone(&accepting));
            }
        });
        Self { port, shared }
    }

    /// The turns clients have taken since the last call.
    pub fn take_turns(&self) -> usize {
        self.shared.turns.swap(0, Ordering::SeqCst)
    }

    /// Makes the next request reach the server whole, then cuts its
    /// client off: the server runs it and answers, and the answer is
    /// swallowed. Returns at once.
    pub fn cut_next_answer(&self) {
        self.shared.cut_next.store(true, Ordering::SeqCst);
    }

    /// The answers swallowed by cuts, as bytes.
    pub fn swallowed(&self) -> Vec<u8> {
        self.shared.swallowed.lock().unwrap().clone()
    }
}

/// Whose turn it was last on a connection.
const NOBODY: usize = 0;
const CLIENT: usize = 1;
const SERVER: usize = 2;

fn relay(client: TcpStream, server: TcpStream, shared: Arc<Shared>) {
    let last = Arc::new(AtomicUsize::new(NOBODY));
    let cut = Arc::new(AtomicBool::new(false));
    let (mut from_client, mut to_server) =
        (client.try_clone().unwrap(), server.try_clone().unwrap());
    let (mut from_server, mut to_client) = (server, client);
    {
        let (shared, last, cut) = (Arc::clone(&shared), Arc::clone(&last), Arc::clone(&cut));
        std::thread::spawn(move || {
            let mut buf = vec![0; 64 * 1024];
            loop {
                let n = match from_client.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                if last.swap(CLIENT, Ordering::SeqCst) != CLIENT {
                    shared.turns.fetch_add(1, Ordering::SeqCst);
                }
                // Cut before the request goes on: its answer is swallowed.
                let cutting = shared.cut_next.swap(false, Ordering::SeqCst);
                cut.store(cutting, Ordering::SeqCst);
                if to_server.write_all(&buf[..n]).is_err() {
                    break;
                }
                if cutting {
                    // The rest of the request, if it came in pieces.
                    let _ = from_client.set_read_timeout(Some(Duration::from_millis(100)));
                    while let Ok(n) = from_client.read(&mut buf) {
                        if n == 0 || to_server.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = from_client.shutdown(Shutdown::Both);
                    break;
                }
            }
            // The server reads to the end of what it was sent, then sees
            // the connection closed.
            let _ = to_server.shutdown(Shutdown::Write);
        });
    }
    std::thread::spawn(move || {
        let mut buf = vec![0; 64 * 1024];
        loop {
            let n = match from_server.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            last.store(SERVER, Ordering::SeqCst);
            if cut.load(Ordering::SeqCst) {
                shared
                    .swallowed
                    .lock()
                    .unwrap()
                    .extend_from_slice(&buf[..n]);
            } else if to_client.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to_client.shutdown(Shutdown::Both);
    });
}
