//! The proxy's record of queries, and the round trips ("waves") they took.

use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use dns_core::{Name, RecordType};

/// The transport a query came over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// A UDP datagram.
    Udp,
    /// A length-prefixed message on a TCP connection.
    Tcp,
}

/// One query that went through a [`DelayProxy`](crate::DelayProxy).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueryLogEntry {
    /// The question's name, with the case the client sent.
    pub name: Name,
    /// The question's type.
    pub record_type: RecordType,
    /// The transport it came over.
    pub transport: Transport,
    /// When the proxy received it.
    pub received: Instant,
    /// When the proxy sent the answer back, if it did (not when the
    /// upstream never answered).
    pub answered: Option<Instant>,
    /// The round trip this query belongs to: 1 + the largest wave among
    /// the queries whose answer had been sent back before this one
    /// arrived (so queries sent at the start are wave 1, and a query that
    /// needed an earlier answer is in a later wave than it).
    pub wave: usize,
}

/// Identifies a query's entry; stale once the log has been reset.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticket {
    generation: u64,
    index: usize,
}

/// The log, behind one lock that also orders "answer sent" against "query
/// received": the proxy sends each answer while holding it, so a query that
/// could only be sent after that answer is always stamped after it.
#[derive(Debug, Default)]
pub(crate) struct QueryLog {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    generation: u64,
    /// Orders events exactly, where two `Instant`s may be equal.
    clock: u64,
    queries: u64,
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    name: Name,
    record_type: RecordType,
    transport: Transport,
    received: (Instant, u64),
    answered: Option<(Instant, u64)>,
}

impl QueryLog {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is consistent after every statement, so a panic
        // elsewhere while holding the lock leaves nothing half-done.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a query and records it when its question could be read.
    pub(crate) fn received(
        &self,
        question: Option<(Name, RecordType)>,
        transport: Transport,
    ) -> Option<Ticket> {
        let mut state = self.lock();
        state.queries += 1;
        let (name, record_type) = question?;
        state.clock += 1;
        let received = (Instant::now(), state.clock);
        state.entries.push(Entry {
            name,
            record_type,
            transport,
            received,
            answered: None,
        });
        Some(Ticket {
            generation: state.generation,
            index: state.entries.len() - 1,
        })
    }

    /// Runs `send` (which must not block) under the lock and stamps the
    /// answer as sent when it returns `true`; `false` means the caller
    /// finishes sending and calls [`QueryLog::answered`].
    pub(crate) fn send<E>(
        &self,
        ticket: Option<Ticket>,
        send: impl FnOnce() -> Result<bool, E>,
    ) -> Result<bool, E> {
        let mut state = self.lock();
        let sent = send();
        if let (Some(ticket), Ok(true)) = (ticket, &sent) {
            state.stamp(ticket);
        }
        sent
    }

    /// Stamps the answer to `ticket`'s query as sent now.
    pub(crate) fn answered(&self, ticket: Option<Ticket>) {
        if let Some(ticket) = ticket {
            self.lock().stamp(ticket);
        }
    }

    pub(crate) fn queries(&self) -> u64 {
        self.lock().queries
    }

    pub(crate) fn reset(&self) {
        let mut state = self.lock();
        state.generation += 1;
        state.queries = 0;
        state.entries.clear();
    }

    /// The entries in the order received, with their waves.
    pub(crate) fn entries(&self) -> Vec<QueryLogEntry> {
        let state = self.lock();
        let waves = waves(&state.entries);
        state
            .entries
            .iter()
            .zip(waves)
            .map(|(e, wave)| QueryLogEntry {
                name: e.name.clone(),
                record_type: e.record_type,
                transport: e.transport,
                received: e.received.0,
                answered: e.answered.map(|a| a.0),
                wave,
            })
            .collect()
    }

    pub(crate) fn round_trips(&self) -> usize {
        waves(&self.lock().entries).into_iter().max().unwrap_or(0)
    }
}

impl State {
    fn stamp(&mut self, ticket: Ticket) {
        if ticket.generation != self.generation {
            return;
        }
        self.clock += 1;
        let now = (Instant::now(), self.clock);
        if let Some(entry) = self.entries.get_mut(ticket.index) {
            entry.answered = Some(now);
        }
    }
}

/// Entries are in the order received, and an answer always follows its
/// query, so every entry answered before entry `i` arrived is before `i`.
fn waves(entries: &[Entry]) -> Vec<usize> {
    let mut waves: Vec<usize> = Vec::with_capacity(entries.len());
    for entry in entries {
        let arrived = entry.received.1;
        let before = entries
            .iter()
            .zip(&waves)
            .filter(|(e, _)| e.answered.is_some_and(|(_, at)| at < arrived))
            .map(|(_, wave)| *wave)
            .max()
            .unwrap_or(0);
        waves.push(before + 1);
    }
    waves
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(n: &str) -> Option<(Name, RecordType)> {
        Some((Name::parse(n).unwrap(), RecordType::A))
    }

    fn answer(log: &QueryLog, ticket: Option<Ticket>) {
        log.send(ticket, || Ok::<_, ()>(true)).unwrap();
    }

    #[test]
    fn waves_follow_answers_not_time() {
        let log = QueryLog::default();
        let a = log.received(question("a.example"), Transport::Udp);
        // b arrives while a is in flight: same wave.
        let b = log.received(question("b.example"), Transport::Udp);
        answer(&log, a);
        let c = log.received(question("c.example"), Transport::Tcp);
        let d = log.received(question("d.example"), Transport::Udp);
        answer(&log, b);
        answer(&log, c);
        let e = log.received(question("e.example"), Transport::Udp);
        // d is never answered, e waits for c (wave 2).
        let waves: Vec<usize> = log.entries().iter().map(|e| e.wave).collect();
        assert_eq!(waves, [1, 1, 2, 2, 3]);
        assert_eq!(log.round_trips(), 3);
        assert!(log.entries()[3].answered.is_none());
        assert!(e.is_some() && d.is_some());
    }

    #[test]
    fn reset_forgets_and_ignores_late_answers() {
        let log = QueryLog::default();
        let a = log.received(question("a.example"), Transport::Udp);
        assert!(log.received(None, Transport::Udp).is_none());
        assert_eq!((log.queries(), log.entries().len()), (2, 1));
        log.reset();
        assert_eq!((log.queries(), log.round_trips()), (0, 0));
        let b = log.received(question("b.example"), Transport::Udp);
        answer(&log, a);
        assert!(log.entries()[0].answered.is_none());
        log.answered(b);
        assert!(log.entries()[0].answered.is_some());
        assert_eq!(log.round_trips(), 1);
    }
}
