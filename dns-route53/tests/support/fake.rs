//! Providers talking to `dns_testkit::route53::FakeRoute53`.

use std::time::Duration;

use dns_core::{Name, RetryPolicy, Zone};
use dns_route53::{Route53Builder, Route53Provider};
use dns_testkit::route53::FakeRoute53;

/// A fake with one public zone; the live error shape only (no modelled
/// message list), as the real service answers.
pub(crate) async fn fake_with_zone(apex: &str) -> (FakeRoute53, Zone) {
    let fake = FakeRoute53::start().await;
    fake.set_modelled_error_messages(false);
    let id = fake.create_zone(apex, false);
    (fake, Zone::new(id, Name::parse(apex).expect("apex")))
}

/// A provider with test credentials and fast retries.
pub(crate) async fn provider(
    fake: &FakeRoute53,
    configure: impl FnOnce(Route53Builder) -> Route53Builder,
) -> Route53Provider {
    configure(
        Route53Builder::new()
            .with_endpoint_url(fake.endpoint())
            .with_credentials("AKIDFAKETEST", "fake-test-secret-do-not-log")
            .with_retry(
                RetryPolicy::new()
                    .with_initial_backoff(Duration::from_millis(5))
                    .with_max_backoff(Duration::from_millis(100)),
            ),
    )
    .build()
    .await
    .expect("provider")
}

/// `attempts` attempts per request with backoff from 5 ms to 100 ms.
#[allow(dead_code)] // the bench includes this module too
pub(crate) fn fast_retry(attempts: u32) -> RetryPolicy {
    RetryPolicy::new()
        .with_max_attempts(attempts)
        .with_initial_backoff(Duration::from_millis(5))
        .with_max_backoff(Duration::from_millis(100))
}
