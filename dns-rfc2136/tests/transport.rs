//! Transport failures: a server that accepts connections and never
//! answers, and a port where nothing listens, are retryable transport
//! errors, retried under the builder's policy and no more.
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

mod support;

use std::time::Duration;

use dns_core::{Change, DnsProvider, Error, Name, RData, RecordSet, RetryPolicy};
use dns_rfc2136::Rfc2136Builder;

fn batch() -> Vec<Change> {
    let owner = Name::parse(&format!("t.{}", support::ZONE)).unwrap();
    vec![Change::Add(
        RecordSet::new(owner, 60, [RData::A([192, 0, 2, 1].into())]).unwrap(),
    )]
}

fn policy() -> RetryPolicy {
    RetryPolicy::new()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(1))
}

#[tokio::test]
async fn a_silent_server_times_out_and_is_retried_under_the_policy() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Accepts every connection and keeps it open without answering.
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let provider = Rfc2136Builder::new(addr)
        .with_zone(Name::parse(support::ZONE).unwrap())
        .with_tsig_key(support::key())
        .with_timeout(Duration::from_millis(200))
        .with_retry(policy())
        .build()
        .unwrap();
    let error = provider
        .apply(&support::zone(), &batch())
        .await
        .unwrap_err();
    holder.abort();
    assert!(matches!(error.root(), Error::Transport { .. }), "{error:?}");
    assert!(error.is_retryable());
    assert_eq!(error.attempts(), 3, "{error}");
    assert_eq!(provider.messages_sent(), 3, "one UPDATE per attempt");
    assert!(!format!("{error:?}").contains(support::SECRET));
}

#[tokio::test]
async fn a_closed_port_is_a_retryable_transport_error() {
    // Bound and dropped: nothing listens there now.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let provider = Rfc2136Builder::new(addr)
        .with_zone(Name::parse(support::ZONE).unwrap())
        .with_retry(policy())
        .build()
        .unwrap();
    let error = provider
        .apply(&support::zone(), &batch())
        .await
        .unwrap_err();
    assert!(matches!(error.root(), Error::Transport { .. }), "{error:?}");
    assert_eq!(error.attempts(), 3);
}
