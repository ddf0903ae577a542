//! The TCP connections a large discovery wave is pipelined on.
//!
//! hickory queues at most 32 unsent messages per TCP connection and treats
//! a full queue as a broken connection; and when several questions find no
//! open connection at once, each opens one. Either way a burst of
//! connections overflows the server's listen queue (BIND's holds 10), and
//! each refused connection costs a second. So a wave is spread over a few
//! connections ("lanes"), each with at most [`PER_LANE`] questions in
//! flight, and a lane's connection is opened by one question alone: while
//! it opens, the questions that would have gone to it go over UDP instead
//! of waiting, so opening lanes never adds a round trip.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dns_core::{Name, RecordType};
use tokio::sync::Semaphore;

use crate::error::Result;
use crate::runtime::DnsResolver;
use crate::transport::{self, Response};

/// Questions in flight on one connection: below hickory's queue of 32.
pub(crate) const PER_LANE: usize = 24;
/// The most lanes per server, whatever the in-flight bound.
const MAX_LANES: usize = 8;
/// A lane unused this long may have lost its connection to an idle
/// timeout (BIND closes after 30 s); its next question opens it alone.
const IDLE: Duration = Duration::from_secs(10);

/// A server's lanes.
#[derive(Debug)]
pub(crate) struct Streams {
    lanes: Vec<Lane>,
    next: AtomicUsize,
}

#[derive(Debug)]
struct Lane {
    resolver: DnsResolver,
    slots: Semaphore,
    state: Mutex<State>,
}

#[derive(Debug, Clone, Copy)]
enum State {
    /// No connection known to be open.
    Closed,
    /// One question is opening the connection.
    Opening,
    /// Open, with an answer at this time.
    Open(Instant),
}

impl Streams {
    /// Enough lanes for `in_flight` questions; the first is `first` (the
    /// connection PTR questions use), the others come from `make`.
    pub(crate) fn new(
        in_flight: usize,
        first: DnsResolver,
        mut make: impl FnMut() -> Result<DnsResolver>,
    ) -> Result<Self> {
        let count = in_flight.div_ceil(PER_LANE).clamp(1, MAX_LANES);
        let mut lanes = vec![Lane::new(first)];
        for _ in 1..count {
            lanes.push(Lane::new(make()?));
        }
        Ok(Self {
            lanes,
            next: AtomicUsize::new(0),
        })
    }

    /// The first lane's connection answered (a PTR question on it).
    pub(crate) fn first_answered(&self) {
        if let Some(lane) = self.lanes.first() {
            *lane.lock() = State::Open(Instant::now());
        }
    }

    /// Asks on the next lane (round robin) over TCP; `None` when that
    /// lane's connection is being opened by another question, for the
    /// caller to ask over UDP.
    pub(crate) async fn query(&self, name: &Name, rtype: RecordType) -> Option<Result<Response>> {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.lanes.len();
        self.lanes[index].query(name, rtype).await
    }
}

impl Lane {
    fn new(resolver: DnsResolver) -> Self {
        Self {
            resolver,
            slots: Semaphore::new(PER_LANE),
            state: Mutex::new(State::Closed),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn query(&self, name: &Name, rtype: RecordType) -> Option<Result<Response>> {
        let opening = {
            let mut state = self.lock();
            match *state {
                State::Opening => return None,
                State::Open(at) if at.elapsed() <= IDLE => false,
                State::Open(_) | State::Closed => {
                    *state = State::Opening;
                    true
                }
            }
        };
        // The semaphore is never closed, so a permit always comes.
        let _slot = self.slots.acquire().await.ok();
        let result = transport::query(&self.resolver, name, rtype, true).await;
        let mut state = self.lock();
        match (&result, opening) {
            (Ok(_), _) => *state = State::Open(Instant::now()),
            (Err(_), true) => *state = State::Closed,
            (Err(_), false) => {}
        }
        Some(result)
    }
}
