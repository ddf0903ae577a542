//! Peers for the cross-crate scenarios: each provider the workspace
//! supports, set up the same way, so a scenario reads as "for every
//! provider, do this".
//!
//! * [`Peer::memory`]: the reference provider;
//! * [`Peer::route53_fake`]: the Route 53 backend against `FakeRoute53`
//!   (Route 53's documented behaviour: exact DELETEs, all-or-nothing
//!   batches);
//! * [`Peer::cloudflare_prism`]: the Cloudflare backend through Prism
//!   validating every exchange against Cloudflare's OpenAPI schema, in
//!   front of `FakeCloudflare`;
//! * [`Peer::moto`]: the Route 53 backend against moto (installed by
//!   `scripts/test.sh`; a missing moto fails loudly);
//! * [`Peer::rfc2136_server`]: the RFC 2136 backend against the
//!   `dns-server` zone server (what `dnsctl serve` runs), every update and
//!   transfer TSIG-signed;
//! * [`Peer::bind9`]: the RFC 2136 backend against BIND 9 (installed by
//!   `scripts/test.sh`, started per peer, stopped by PID), TSIG-signed.
//!
//! [`Peer::mirror`] copies a peer's zone into an [`InMemoryProvider`] so
//! `dns_testkit::TestServer` can serve it over real DNS.

use std::sync::Arc;
use std::time::Duration;

use dns_cloudflare::{CloudflareBuilder, RequestBudget};
use dns_core::{DnsProvider, InMemoryProvider, Name, RecordType, RetryPolicy, Zone};
use dns_route53::Route53Builder;
use dns_testkit::cloudflare::FakeCloudflare;
use dns_testkit::moto::Moto;
use dns_testkit::prism::Prism;
use dns_testkit::route53::FakeRoute53;

/// What keeps a peer alive; dropped (and its processes stopped) with it.
#[derive(Debug)]
#[allow(dead_code, reason = "held only to keep the servers running")]
enum Guard {
    None,
    Route53(FakeRoute53),
    Cloudflare(Box<(FakeCloudflare, Prism)>),
    Moto(Moto),
    Server(dns_server::ZoneServer),
    Bind(dns_testkit::authoritative::AuthServer),
}

/// One provider under test with a zone made for the test.
#[derive(Debug)]
pub struct Peer {
    /// A short name for messages.
    pub name: &'static str,
    /// Separate provider instances (each with its own caches and
    /// connections), as separate processes would have.
    pub providers: Vec<Arc<dyn DnsProvider>>,
    /// The zone.
    pub zone: Zone,
    guard: Guard,
}

fn apex(name: &str) -> Name {
    Name::parse(name).expect("valid apex")
}

/// Retries for tests: quick, and enough for the fakes' injected faults.
fn retry() -> RetryPolicy {
    RetryPolicy::new()
        .with_max_attempts(10)
        .with_initial_backoff(Duration::from_millis(10))
        .with_max_backoff(Duration::from_millis(300))
        .with_max_elapsed(Duration::from_secs(60))
}

impl Peer {
    /// The in-memory reference provider, `n` handles with 1 ms latency.
    pub fn memory(zone: &str, n: usize) -> Self {
        let memory = InMemoryProvider::new();
        let zone = memory.create_zone(apex(zone)).expect("zone");
        let providers = (0..n)
            .map(|_| {
                Arc::new(memory.clone().with_latency(Duration::from_millis(1)))
                    as Arc<dyn DnsProvider>
            })
            .collect();
        Self {
            name: "memory",
            providers,
            zone,
            guard: Guard::None,
        }
    }

    /// `n` Route 53 providers against a fresh `FakeRoute53`.
    pub async fn route53_fake(zone: &str, n: usize) -> Self {
        let fake = FakeRoute53::start().await;
        fake.set_modelled_error_messages(false);
        fake.set_latency(Duration::from_millis(2));
        let id = fake.create_zone(zone, false);
        let mut providers: Vec<Arc<dyn DnsProvider>> = Vec::new();
        for _ in 0..n {
            providers.push(Arc::new(route53(&fake.endpoint()).await));
        }
        Self {
            name: "route53 (fake)",
            providers,
            zone: Zone::new(id, apex(zone)),
            guard: Guard::Route53(fake),
        }
    }

    /// `n` Cloudflare providers through Prism (validating proxy) in front
    /// of a fresh `FakeCloudflare`.
    pub async fn cloudflare_prism(zone: &str, n: usize) -> Self {
        let fake = FakeCloudflare::start().await;
        let id = fake.add_zone(zone);
        let prism = Prism::proxy(&fake.uri())
            .await
            .expect("Prism (run scripts/test.sh to install it)");
        let providers = (0..n)
            .map(|_| {
                Arc::new(
                    CloudflareBuilder::new()
                        .with_token(fake.token())
                        .with_base_url(prism.uri())
                        .with_allow_http(true)
                        .with_request_budget(RequestBudget::unlimited())
                        .with_retry(retry())
                        .build()
                        .expect("provider"),
                ) as Arc<dyn DnsProvider>
            })
            .collect();
        Self {
            name: "cloudflare (Prism + fake)",
            providers,
            zone: Zone::new(id, apex(zone)),
            guard: Guard::Cloudflare(Box::new((fake, prism))),
        }
    }

    /// `n` Route 53 providers against a fresh moto.
    pub async fn moto(zone: &str, n: usize) -> Self {
        let moto = Moto::start();
        let first = route53(&moto.endpoint()).await;
        let created = first
            .client()
            .create_hosted_zone()
            .name(zone)
            .caller_reference(format!("e2e-{zone}-{}", std::process::id()))
            .send()
            .await
            .expect("CreateHostedZone on moto");
        let id = created
            .hosted_zone()
            .expect("zone in answer")
            .id()
            .trim_start_matches("/hostedzone/")
            .to_owned();
        let mut providers: Vec<Arc<dyn DnsProvider>> = vec![Arc::new(first)];
        for _ in 1..n {
            providers.push(Arc::new(route53(&moto.endpoint()).await));
        }
        Self {
            name: "route53 (moto)",
            providers,
            zone: Zone::new(id, apex(zone)),
            guard: Guard::Moto(moto),
        }
    }

    /// `n` RFC 2136 providers against a fresh `dns_server::ZoneServer`
    /// that takes only updates and transfers signed with their TSIG key.
    pub async fn rfc2136_server(zone: &str, n: usize) -> Self {
        let memory = InMemoryProvider::new();
        let apex = apex(zone);
        memory.create_zone(apex.clone()).expect("zone");
        let key = dns_rfc2136::TsigKey::new(
            Name::parse("e2e-key").expect("key name"),
            dns_rfc2136::TsigAlgorithm::HmacSha256,
            "c2VjcmV0LWZvci1lMmUtdGVzdHMtb25seS1kby1ub3QtdXNl",
        )
        .expect("key");
        let server = dns_server::ZoneServer::builder(memory)
            .with_additionals(true)
            .with_updates(
                dns_server::UpdatePolicy::loopback().with_key(key.signer().expect("signer")),
            )
            .start()
            .await
            .expect("zone server");
        let providers = rfc2136_providers(server.addr(), &apex, &key, n);
        Self {
            name: "rfc2136 (dns-server)",
            providers,
            zone: Zone::new(apex.to_string(), apex),
            guard: Guard::Server(server),
        }
    }

    /// `n` RFC 2136 providers against a fresh BIND 9 serving `zone`,
    /// which takes updates and transfers signed with their TSIG key only.
    pub fn bind9(zone: &str, n: usize) -> Self {
        use dns_testkit::authoritative::{AuthServer, Flavor, TestKey, TestZone};
        const SECRET: &str = "YmluZC1lMmUtc2VjcmV0LWZvci10ZXN0cy1vbmx5LXh4eA==";
        let apex = apex(zone);
        let server = AuthServer::start(
            Flavor::Bind9,
            &[TestKey::new("e2e-key", "hmac-sha256", SECRET)],
            &[TestZone::new(zone).with_key("e2e-key")],
        );
        let key = dns_rfc2136::TsigKey::new(
            Name::parse("e2e-key").expect("key name"),
            dns_rfc2136::TsigAlgorithm::HmacSha256,
            SECRET,
        )
        .expect("key");
        let providers = rfc2136_providers(server.addr(), &apex, &key, n);
        Self {
            name: "rfc2136 (BIND 9)",
            providers,
            zone: Zone::new(apex.to_string(), apex),
            guard: Guard::Bind(server),
        }
    }

    /// The first provider.
    pub fn provider(&self) -> &Arc<dyn DnsProvider> {
        &self.providers[0]
    }

    /// Schema violations Prism saw (Cloudflare only; empty elsewhere),
    /// without its warnings about the schema's own unmatchable "4xx" keys.
    pub fn violations(&self) -> Vec<String> {
        match &self.guard {
            Guard::Cloudflare(peers) => peers
                .1
                .violations()
                .into_iter()
                .filter(|v| {
                    !((v.contains("-> 400: (Warning)") || v.contains("-> 404: (Warning)"))
                        && v.contains("Unable to match the returned status code"))
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The peer's zone copied into a fresh in-memory provider (apex SOA
    /// and NS excepted, which the copy has of its own), ready to be served
    /// over DNS by `dns_testkit::TestServer`.
    pub async fn mirror(&self) -> InMemoryProvider {
        let memory = InMemoryProvider::new();
        let zone = memory.create_zone(self.zone.name.clone()).expect("zone");
        let sets = self
            .provider()
            .list_record_sets(&self.zone)
            .await
            .expect("listing the zone");
        for set in sets {
            let apex_meta = set.name() == &self.zone.name
                && matches!(set.record_type(), RecordType::SOA | RecordType::NS);
            if !apex_meta {
                memory.insert_unchecked(&zone, set).expect("copying a set");
            }
        }
        memory
    }
}

/// `n` RFC 2136 providers sending to `server` for `apex`, signed with `key`.
fn rfc2136_providers(
    server: std::net::SocketAddr,
    apex: &Name,
    key: &dns_rfc2136::TsigKey,
    n: usize,
) -> Vec<Arc<dyn DnsProvider>> {
    (0..n)
        .map(|_| {
            Arc::new(
                dns_rfc2136::Rfc2136Builder::new(server)
                    .with_zone(apex.clone())
                    .with_tsig_key(key.clone())
                    .with_retry(retry())
                    .build()
                    .expect("provider"),
            ) as Arc<dyn DnsProvider>
        })
        .collect()
}

async fn route53(endpoint: &str) -> dns_route53::Route53Provider {
    Route53Builder::new()
        .with_endpoint_url(endpoint)
        .with_credentials("AKIDE2ETEST", "e2e-test-secret")
        .with_retry(retry())
        .build()
        .await
        .expect("provider")
}
