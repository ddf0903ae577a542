//! The Route 53 side of a moto peer: a [`dns_testkit::moto::Moto`] (the
//! Route 53 emulator from PyPI on a free port, killed by its PID when
//! dropped) with a provider pointed at it and zones created through the SDK.
//!
//! `scripts/test.sh` installs moto into `target/peers/moto`; `MOTO_SERVER`
//! may name another `moto_server`. A missing moto fails the test with
//! instructions: these tests never pass without their peer.

use std::time::Duration;

use dns_core::{Name, Zone};
use dns_route53::{Route53Builder, Route53Provider};

/// A running `moto_server`, stopped when dropped.
pub(crate) struct Moto {
    server: dns_testkit::moto::Moto,
}

impl Moto {
    /// Starts moto and waits until it accepts requests.
    #[track_caller]
    pub(crate) fn start() -> Self {
        Self {
            server: dns_testkit::moto::Moto::start(),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn endpoint(&self) -> String {
        self.server.endpoint()
    }

    /// A provider talking to this moto with test credentials.
    pub(crate) async fn provider(
        &self,
        configure: impl FnOnce(Route53Builder) -> Route53Builder,
    ) -> Route53Provider {
        configure(
            Route53Builder::new()
                .with_endpoint_url(self.endpoint())
                .with_credentials("AKIDMOTOTEST", "moto-test-secret")
                .with_retry(
                    dns_core::RetryPolicy::new()
                        .with_initial_backoff(Duration::from_millis(20))
                        .with_max_backoff(Duration::from_millis(200)),
                ),
        )
        .build()
        .await
        .expect("provider")
    }

    /// Creates a public hosted zone through the SDK.
    pub(crate) async fn create_zone(provider: &Route53Provider, apex: &str) -> Zone {
        let out = provider
            .client()
            .create_hosted_zone()
            .name(apex)
            .caller_reference(format!("test-{apex}-{}", std::process::id()))
            .send()
            .await
            .expect("CreateHostedZone");
        let zone = out.hosted_zone().expect("zone in answer");
        let id = zone.id().trim_start_matches("/hostedzone/");
        Zone::new(id, Name::parse(apex).expect("apex"))
    }
}
