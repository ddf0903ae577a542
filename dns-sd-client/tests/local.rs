//! The client against dns-testkit's server: every DNS-SD path over real
//! UDP and TCP on localhost, with the zone held in an `InMemoryProvider`.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly too"
)]

use std::sync::Arc;
use std::time::Duration;

use dns_core::{
    DnsProviderExt, InMemoryProvider, Label, Name, RData, RecordSet, RecordType, ServiceInstance,
    ServiceType, Srv, Target, Txt, TxtProperties, TxtValue, Zone,
};
use dns_sd_client::{
    DnsSdClient, Error, FailoverError, ManualClock, Order, Selection, WatchEvent, WatchOptions,
};
use dns_sd_registry::ServiceRegistry;
use dns_testkit::TestServer;
use futures::StreamExt;

fn name(s: &str) -> Name {
    Name::parse(s).unwrap()
}

fn http() -> ServiceType {
    "_http._tcp".parse().unwrap()
}

struct Fixture {
    memory: InMemoryProvider,
    zone: Zone,
    domain: Name,
    server: TestServer,
    registry: ServiceRegistry,
}

impl Fixture {
    async fn new() -> Self {
        Self::with(|b| b).await
    }

    async fn with(
        configure: impl FnOnce(dns_testkit::TestServerBuilder) -> dns_testkit::TestServerBuilder,
    ) -> Self {
        let memory = InMemoryProvider::new();
        let domain = name("example.com");
        let zone = memory.create_zone(domain.clone()).unwrap();
        let server = configure(TestServer::builder(memory.clone()))
            .start()
            .await
            .unwrap();
        let registry = ServiceRegistry::new(Arc::new(memory.clone()));
        Self {
            memory,
            zone,
            domain,
            server,
            registry,
        }
    }

    fn client(&self) -> DnsSdClient {
        DnsSdClient::builder()
            .with_name_server(self.server.addr())
            .with_timeout(Duration::from_secs(2))
            .build()
            .unwrap()
    }

    fn instance(&self, label: &str, host: &str, port: u16, ip: &str) -> ServiceInstance {
        ServiceInstance::new(label, http(), self.domain.clone())
            .unwrap()
            .with_target(Target::new(name(host), port).with_address(ip.parse().unwrap()))
    }

    async fn seed_a(&self, host: &str, ttl: u32, ip: &str) {
        let a = RData::A(ip.parse().unwrap());
        self.seed(RecordSet::new(name(host), ttl, [a]).unwrap())
            .await;
    }

    async fn seed(&self, set: RecordSet) {
        self.memory.insert_unchecked(&self.zone, set).unwrap();
    }
}

#[tokio::test]
async fn browse_resolve_and_discover() {
    let f = Fixture::new().await;
    let a = f
        .instance("alpha", "a.example.com", 8080, "192.0.2.1")
        .with_txt(TxtProperties::new().with("path", "/a").unwrap());
    let b = f
        .instance("beta", "b.example.com", 8081, "2001:db8::2")
        .with_target(
            Target::new(name("b2.example.com"), 8081)
                .with_priority(5)
                .with_address("192.0.2.22".parse().unwrap()),
        );
    f.registry.register(&a).await.unwrap();
    f.registry.register(&b).await.unwrap();
    let client = f.client();

    let mut names = client.browse(&http(), &f.domain).await.unwrap();
    names.sort();
    assert_eq!(names, vec![a.name().clone(), b.name().clone()]);

    let alpha = client.resolve(a.name()).await.unwrap();
    assert_eq!(alpha.instance_label().unwrap().as_str(), Some("alpha"));
    assert_eq!(alpha.service_type(), Some(http()));
    assert_eq!(alpha.domain(), Some(f.domain.clone()));
    assert_eq!(alpha.targets.len(), 1);
    assert_eq!(alpha.targets[0].port(), 8080);
    assert_eq!(
        alpha.targets[0].addresses,
        vec!["192.0.2.1".parse::<std::net::IpAddr>().unwrap()]
    );
    assert_eq!(alpha.txt.get_str("path"), Some("/a"));

    let found = client.discover(&http(), &f.domain).await.unwrap();
    assert!(found.is_complete(), "{:?}", found.failures);
    assert_eq!(found.instances.len(), 2);
    let beta = found
        .instance("BETA")
        .expect("labels compare case-insensitively");
    // Sorted by priority: b.example.com (0) before b2 (5).
    let hosts: Vec<String> = beta.targets.iter().map(|t| t.host().to_string()).collect();
    assert_eq!(hosts, ["b.example.com.", "b2.example.com."]);
    assert_eq!(
        beta.targets[0].addresses,
        vec!["2001:db8::2".parse::<std::net::IpAddr>().unwrap()]
    );
    assert_eq!(
        beta.targets[1].addresses,
        vec!["192.0.2.22".parse::<std::net::IpAddr>().unwrap()]
    );
    assert!(beta.txt.is_empty());
}

#[tokio::test]
async fn enumerate_and_subtypes() {
    let f = Fixture::new().await;
    let printer = ServiceInstance::new("Office", "_ipp._tcp".parse().unwrap(), f.domain.clone())
        .unwrap()
        .with_target(Target::new(name("p.example.com"), 631))
        .with_subtype("_color".parse().unwrap());
    let web = f.instance("w", "w.example.com", 80, "192.0.2.9");
    f.registry.register(&printer).await.unwrap();
    f.registry.register(&web).await.unwrap();
    let client = f.client();

    let mut types = client.enumerate(&f.domain).await.unwrap();
    types.sort();
    assert_eq!(
        types,
        vec![
            name("_http._tcp.example.com"),
            name("_ipp._tcp.example.com")
        ]
    );
    let ipp = ServiceType::split_name(&types[1]).unwrap().0;
    let color: Label = "_color".parse().unwrap();
    assert_eq!(
        client
            .browse_subtype(&ipp, &color, &f.domain)
            .await
            .unwrap(),
        vec![printer.name().clone()]
    );
    let none: Label = "_mono".parse().unwrap();
    assert!(
        client
            .browse_subtype(&ipp, &none, &f.domain)
            .await
            .unwrap()
            .is_empty()
    );
    let found = client
        .discover_subtype(&ipp, &color, &f.domain)
        .await
        .unwrap();
    assert_eq!(found.instances.len(), 1);
    assert_eq!(found.instances[0].targets[0].port(), 631);
}

#[tokio::test]
async fn txt_edge_cases() {
    let f = Fixture::new().await;
    let owner = name("t._http._tcp.example.com");
    let srv = RData::SRV(Srv::new(0, 0, 1, name("h.example.com")));
    f.seed(RecordSet::new(owner.clone(), 60, [srv]).unwrap())
        .await;
    let txt = Txt::new([
        &b"flag"[..],
        b"empty=",
        b"bin=\x00\xff\"\\",
        b"Dup=first",
        b"dup=second",
        b"=ignored",
        b"",
    ])
    .unwrap();
    f.seed(RecordSet::new(owner.clone(), 60, [RData::TXT(txt.clone())]).unwrap())
        .await;
    let client = f.client();

    let i = client.resolve(&owner).await.unwrap();
    assert_eq!(i.txt_records, vec![txt]);
    assert_eq!(i.txt.get("flag"), Some(TxtValue::Flag));
    assert_eq!(i.txt.get("empty"), Some(TxtValue::Bytes(b"")));
    assert_eq!(i.txt.get("bin"), Some(TxtValue::Bytes(b"\x00\xff\"\\")));
    assert_eq!(
        i.txt.get_str("DUP"),
        Some("first"),
        "first duplicate wins, keys ignore case"
    );
    assert_eq!(i.txt.get("missing"), None);
    assert_eq!(i.txt.len(), 4, "{:?}", i.txt);

    // The empty TXT (one zero-length string) means "no properties".
    let owner2 = name("e._http._tcp.example.com");
    let srv = RData::SRV(Srv::new(0, 0, 1, name("h.example.com")));
    f.seed(RecordSet::new(owner2.clone(), 60, [srv]).unwrap())
        .await;
    f.seed(RecordSet::new(owner2.clone(), 60, [RData::TXT(Txt::empty())]).unwrap())
        .await;
    let e = client.resolve(&owner2).await.unwrap();
    assert!(e.txt.is_empty());
    assert_eq!(e.txt_records, vec![Txt::empty()]);
}

#[tokio::test]
async fn raw_instance_names_survive() {
    let f = Fixture::new().await;
    let labels = [
        "My Web",
        "v1.2 (beta)",
        "Büro Drucker ünd 🖨",
        "back\\slash\"quote",
    ];
    for (i, label) in labels.iter().enumerate() {
        let inst = f.instance(
            label,
            &format!("h{i}.example.com"),
            1000 + i as u16,
            "192.0.2.5",
        );
        f.registry.register(&inst).await.unwrap();
    }
    let client = f.client();
    let found = client.discover(&http(), &f.domain).await.unwrap();
    assert!(found.is_complete());
    let mut got: Vec<String> = found
        .instances
        .iter()
        .map(|i| i.instance_label().unwrap().as_str().unwrap().to_owned())
        .collect();
    got.sort();
    let mut want: Vec<String> = labels.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(got, want);
    let dotted = found.instance("v1.2 (beta)").unwrap();
    assert_eq!(
        dotted.name.labels().len(),
        5,
        "the dot stays inside one label"
    );
    assert_eq!(
        dotted.name.to_string(),
        r"v1\.2\032\(beta\)._http._tcp.example.com."
    );
}

#[tokio::test]
async fn lower_cased_ptr_targets_still_resolve() {
    let f = Fixture::with(|b| b.with_lowercase_rdata_names(true)).await;
    let inst = f.instance("Mixed CASE", "h.example.com", 80, "192.0.2.7");
    f.registry.register(&inst).await.unwrap();
    let client = f.client();
    let names = client.browse(&http(), &f.domain).await.unwrap();
    assert_eq!(
        names[0].labels()[0].as_bytes(),
        b"mixed case",
        "the server lower-cased it"
    );
    assert_eq!(names[0], *inst.name(), "names compare case-insensitively");
    let found = client.discover(&http(), &f.domain).await.unwrap();
    assert_eq!(found.instances.len(), 1);
    assert!(found.instance("Mixed Case").is_some());
}

#[tokio::test]
async fn dot_target_means_unavailable() {
    let f = Fixture::new().await;
    let owner = name("_ldap._tcp.example.com");
    f.seed(
        RecordSet::new(
            owner.clone(),
            60,
            [RData::SRV(Srv::new(0, 0, 0, Name::root()))],
        )
        .unwrap(),
    )
    .await;
    // An address at the owner name must not be used as a fallback.
    f.seed(RecordSet::new(owner.clone(), 60, [RData::A("192.0.2.1".parse().unwrap())]).unwrap())
        .await;
    let client = f.client();
    let i = client.resolve(&owner).await.unwrap();
    assert!(i.is_unavailable());
    assert!(i.targets[0].addresses.is_empty());
    let mut rng = rand::rng();
    assert_eq!(i.pick(&mut rng), Selection::Unavailable);
    assert_eq!(i.order(&mut rng), Order::Unavailable);
    let attempts = std::sync::atomic::AtomicUsize::new(0);
    let r = client
        .failover(&owner, &mut rng, |_| {
            attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async { Ok::<_, ()>(()) }
        })
        .await;
    assert!(matches!(r, Err(FailoverError::Unavailable)), "{r:?}");
    assert_eq!(attempts.into_inner(), 0);
}

#[tokio::test]
async fn nxdomain_and_empty_answers() {
    let f = Fixture::new().await;
    f.seed_a("host.example.com", 60, "192.0.2.3").await;
    let client = f.client();
    // NXDOMAIN: nothing registered.
    assert!(client.browse(&http(), &f.domain).await.unwrap().is_empty());
    let found = client.discover(&http(), &f.domain).await.unwrap();
    assert!(found.instances.is_empty() && found.is_complete());
    // No data: the name exists with another type.
    assert!(
        client
            .lookup(&name("host.example.com"), RecordType::TXT)
            .await
            .unwrap()
            .is_empty()
    );
    let err = client.resolve(&name("host.example.com")).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotFound {
                record_type: RecordType::SRV,
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.is_retryable());
    // Outside every zone the server refuses: an error, not an empty answer.
    let err = client
        .lookup(&name("elsewhere.org"), RecordType::A)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Server { ref code, .. } if code == "REFUSED"),
        "{err}"
    );
}

#[tokio::test]
async fn stale_ptr_is_reported_missing() {
    let f = Fixture::new().await;
    let ptr = name("_http._tcp.example.com");
    let ghost = name("ghost._http._tcp.example.com");
    f.seed(RecordSet::new(ptr, 60, [RData::PTR(ghost.clone())]).unwrap())
        .await;
    let found = f.client().discover(&http(), &f.domain).await.unwrap();
    assert!(found.instances.is_empty());
    assert_eq!(found.missing, vec![ghost]);
}

#[tokio::test]
async fn large_ptr_set_falls_back_to_tcp() {
    let f = Fixture::new().await;
    let ptr = name("_http._tcp.example.com");
    let targets: Vec<RData> = (0..150)
        .map(|i| {
            RData::PTR(name(&format!(
                "instance-number-{i:03}._http._tcp.example.com"
            )))
        })
        .collect();
    f.seed(RecordSet::new(ptr, 60, targets).unwrap()).await;
    // Without EDNS the UDP limit is 512 bytes, with it 1232: both truncate.
    for edns in [false, true] {
        let client = DnsSdClient::builder()
            .with_name_server(f.server.addr())
            .with_edns(edns)
            .with_browse_over_tcp(false)
            .build()
            .unwrap();
        let names = client.browse(&http(), &f.domain).await.unwrap();
        assert_eq!(names.len(), 150, "edns {edns}");
    }
}

#[tokio::test]
async fn cache_hits_and_ttl_expiry() {
    let f = Fixture::new().await;
    let inst = f
        .instance("c", "c.example.com", 80, "192.0.2.8")
        .with_ttl(30);
    f.registry.register(&inst).await.unwrap();
    let clock = ManualClock::new();
    let client = DnsSdClient::builder()
        .with_name_server(f.server.addr())
        .with_clock(Arc::new(clock.clone()))
        .build()
        .unwrap();

    let started = dns_sd_client::Clock::now(&clock);
    let first = client.discover(&http(), &f.domain).await.unwrap();
    let asked = f.server.queries();
    assert_eq!(asked, 5, "PTR, SRV, TXT, A, AAAA");
    assert_eq!(
        first.valid_until,
        started + Duration::from_secs(30),
        "valid until the first record expires"
    );
    let second = client.discover(&http(), &f.domain).await.unwrap();
    assert_eq!(f.server.queries(), asked, "all from the cache");
    assert_eq!(first.instances, second.instances);
    assert!(client.cache_stats().hits >= 5);

    // A change is invisible until the TTL runs out, then seen.
    f.registry.deregister(&inst).await.unwrap();
    clock.advance(Duration::from_secs(29));
    assert_eq!(
        client
            .discover(&http(), &f.domain)
            .await
            .unwrap()
            .instances
            .len(),
        1
    );
    assert_eq!(f.server.queries(), asked);
    clock.advance(Duration::from_secs(1));
    assert!(
        client
            .discover(&http(), &f.domain)
            .await
            .unwrap()
            .instances
            .is_empty()
    );
    assert_eq!(
        f.server.queries(),
        asked + 1,
        "only the PTR set is asked again"
    );
}

#[tokio::test]
async fn negative_answers_are_cached_for_the_soa_minimum() {
    let f = Fixture::new().await;
    let clock = ManualClock::new();
    let client = DnsSdClient::builder()
        .with_name_server(f.server.addr())
        .with_clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    // The in-memory zone's SOA says 60 s for negative answers.
    assert!(client.browse(&http(), &f.domain).await.unwrap().is_empty());
    assert_eq!(f.server.queries(), 1);
    let inst = f.instance("late", "l.example.com", 80, "192.0.2.4");
    f.registry.register(&inst).await.unwrap();
    clock.advance(Duration::from_secs(59));
    assert!(client.browse(&http(), &f.domain).await.unwrap().is_empty());
    assert_eq!(f.server.queries(), 1, "NXDOMAIN served from the cache");
    clock.advance(Duration::from_secs(1));
    assert_eq!(client.browse(&http(), &f.domain).await.unwrap().len(), 1);
    assert_eq!(f.server.queries(), 2);
}

#[tokio::test]
async fn additionals_make_discovery_one_question() {
    let f = Fixture::with(|b| b.with_additionals(true)).await;
    for i in 0..5 {
        let inst = f
            .instance(
                &format!("i{i}"),
                &format!("h{i}.example.com"),
                80,
                "192.0.2.30",
            )
            .with_txt(TxtProperties::new().with("n", i.to_string()).unwrap());
        f.registry.register(&inst).await.unwrap();
    }
    let client = DnsSdClient::builder()
        .with_name_server(f.server.addr())
        .with_complete_additionals(true)
        .build()
        .unwrap();
    let found = client.discover(&http(), &f.domain).await.unwrap();
    assert_eq!(found.instances.len(), 5);
    assert!(
        found
            .instances
            .iter()
            .all(|i| i.targets[0].addresses.len() == 1)
    );
    assert_eq!(found.instance("i3").unwrap().txt.get_str("n"), Some("3"));
    // The PTR answer carried SRV, TXT and A (and, A without AAAA, says the
    // hosts have no IPv6 address): one question in all.
    assert_eq!(f.server.queries(), 1);
}

#[tokio::test]
async fn additionals_outside_the_domain_are_not_trusted() {
    let f = Fixture::with(|b| b.with_additionals(true)).await;
    let other = f.memory.create_zone(name("other.org")).unwrap();
    f.memory
        .upsert(
            &other,
            RecordSet::new(
                name("h.other.org"),
                60,
                [RData::A("192.0.2.99".parse().unwrap())],
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let inst = f.instance("x", "h.other.org", 80, "192.0.2.99");
    // Register without the address: it lives in the other zone.
    let inst = ServiceInstance::new("x", http(), f.domain.clone())
        .unwrap()
        .with_target(Target::new(inst.targets()[0].host.clone(), 80));
    f.registry.register(&inst).await.unwrap();
    let client = f.client();
    let found = client.discover(&http(), &f.domain).await.unwrap();
    assert_eq!(found.instances[0].targets[0].addresses.len(), 1);
    // PTR (with SRV+TXT additionals), then A and AAAA for the foreign host
    // asked directly even though the server sent its A as an additional.
    assert_eq!(f.server.queries(), 3);
}

async fn next_event<S>(events: &mut S) -> WatchEvent
where
    S: futures::Stream<Item = dns_sd_client::Result<WatchEvent>> + Unpin,
{
    tokio::time::timeout(Duration::from_secs(10), events.next())
        .await
        .expect("an event within 10 s")
        .expect("the stream goes on")
        .unwrap()
}

#[tokio::test]
async fn watch_reports_added_changed_removed() {
    let f = Fixture::new().await;
    let a = f
        .instance("a", "a.example.com", 80, "192.0.2.1")
        .with_ttl(1);
    f.registry.register(&a).await.unwrap();
    let client = f.client();
    let options = WatchOptions::default().with_min_interval(Duration::from_millis(200));
    let mut events = Box::pin(client.watch_with(&http(), &f.domain, options).unwrap());
    match next_event(&mut events).await {
        WatchEvent::Added(i) => assert_eq!(i.name, *a.name()),
        other => panic!("{other:?}"),
    }
    let b = f
        .instance("b", "b.example.com", 81, "192.0.2.2")
        .with_ttl(1);
    f.registry.register(&b).await.unwrap();
    match next_event(&mut events).await {
        WatchEvent::Added(i) => assert_eq!(i.name, *b.name()),
        other => panic!("{other:?}"),
    }
    let a2 = a
        .clone()
        .with_txt(TxtProperties::new().with("v", "2").unwrap());
    f.registry.register(&a2).await.unwrap();
    match next_event(&mut events).await {
        WatchEvent::Changed(i) => assert_eq!(i.txt.get_str("v"), Some("2")),
        other => panic!("{other:?}"),
    }
    f.registry.deregister(&b).await.unwrap();
    match next_event(&mut events).await {
        WatchEvent::Removed(i) => assert_eq!(i.name, *b.name()),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn watch_polls_no_faster_than_the_ttl() {
    let f = Fixture::new().await;
    let a = f
        .instance("a", "a.example.com", 80, "192.0.2.1")
        .with_ttl(2);
    f.registry.register(&a).await.unwrap();
    let client = f.client();
    let options = WatchOptions::default().with_min_interval(Duration::from_millis(10));
    let events = client.watch_with(&http(), &f.domain, options).unwrap();
    // Drive the stream for 3 s: with a 2 s TTL that is at most two polls.
    let collected = tokio::time::timeout(Duration::from_secs(3), events.collect::<Vec<_>>()).await;
    assert!(collected.is_err(), "the stream never ends by itself");
    let ptr_polls = f.server.queries() / 5;
    assert!(
        (1..=2).contains(&ptr_polls),
        "{} queries",
        f.server.queries()
    );
}

#[tokio::test]
async fn failover_tries_in_priority_order_and_reports_attempts() {
    let f = Fixture::new().await;
    let owner = name("svc._http._tcp.example.com");
    let srvs = [
        (0, "p0.example.com"),
        (1, "p1.example.com"),
        (2, "p2.example.com"),
    ]
    .map(|(p, h)| RData::SRV(Srv::new(p, 10, 80, name(h))));
    f.seed(RecordSet::new(owner.clone(), 60, srvs).unwrap())
        .await;
    let client = f.client();
    let done = client
        .failover(&owner, &mut rand::rng(), |t| {
            let host = t.host().clone();
            async move {
                if host == name("p2.example.com") {
                    Ok(host)
                } else {
                    Err(format!("{host} down"))
                }
            }
        })
        .await
        .unwrap();
    assert_eq!(done.value, name("p2.example.com"));
    let tried: Vec<u16> = done.failed.iter().map(|a| a.target.priority()).collect();
    assert_eq!(tried, [0, 1]);
    assert_eq!(done.failed[0].error, "p0.example.com. down");

    let all_down = client
        .failover(&owner, &mut rand::rng(), |_| async { Err::<(), _>("no") })
        .await;
    match all_down {
        Err(FailoverError::Exhausted(attempts)) => assert_eq!(attempts.len(), 3),
        other => panic!("{other:?}"),
    }
    let missing = client
        .failover(&name("nothing.example.com"), &mut rand::rng(), |_| async {
            Ok::<_, ()>(())
        })
        .await;
    assert!(matches!(missing, Err(FailoverError::NoTargets)));
}

#[tokio::test]
async fn timeouts_are_typed_and_retryable() {
    // A UDP socket that never answers and no TCP listener behind it.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let client = DnsSdClient::builder()
        .with_name_server(silent.local_addr().unwrap())
        .with_timeout(Duration::from_millis(200))
        .with_attempts(1)
        .build()
        .unwrap();
    let err = client
        .browse(&http(), &name("example.com"))
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert!(
        matches!(err, Error::Timeout { .. } | Error::Transport { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn additional_a_without_aaaa_does_not_hide_ipv6_by_default() {
    let f = Fixture::with(|b| b.with_additionals(true)).await;
    let owner = name("dual._http._tcp.example.com");
    let host = name("dual.example.com");
    let srv = RData::SRV(Srv::new(0, 0, 80, host.clone()));
    f.seed(RecordSet::new(owner.clone(), 60, [srv]).unwrap())
        .await;
    f.seed(RecordSet::new(host.clone(), 60, [RData::A("192.0.2.1".parse().unwrap())]).unwrap())
        .await;
    // 60 AAAA records do not fit beside the A record in a UDP answer, so
    // the server drops them from the additional section.
    let v6: Vec<RData> = (1..=60u16)
        .map(|i| RData::AAAA(format!("2001:db8::{i:x}").parse().unwrap()))
        .collect();
    f.seed(RecordSet::new(host.clone(), 60, v6).unwrap()).await;
    let client = f.client();
    let i = client.resolve(&owner).await.unwrap();
    let v6_found = i.targets[0]
        .addresses
        .iter()
        .filter(|a| a.is_ipv6())
        .count();
    assert_eq!(v6_found, 60);
    assert_eq!(
        client.lookup(&host, RecordType::AAAA).await.unwrap().len(),
        60
    );
}

#[tokio::test]
async fn the_next_server_is_asked_when_one_refuses() {
    let empty = TestServer::start(InMemoryProvider::new()).await.unwrap();
    let f = Fixture::new().await;
    let host = name("h.example.com");
    f.seed(RecordSet::new(host.clone(), 600, [RData::A("192.0.2.1".parse().unwrap())]).unwrap())
        .await;
    let client = DnsSdClient::builder()
        .with_name_servers([empty.addr(), f.server.addr()])
        .with_cache_size(0)
        .build()
        .unwrap();
    for _ in 0..5 {
        assert_eq!(client.lookup(&host, RecordType::A).await.unwrap().len(), 1);
    }
    assert_eq!(f.server.queries(), 5);
    // Asked first each time, in the order given (hickory retries a REFUSED
    // answer once before this crate moves on).
    assert!(empty.queries() >= 5, "{}", empty.queries());
}

#[tokio::test]
async fn srv_behind_a_cname_resolves() {
    let f = Fixture::new().await;
    let alias = name("alias._http._tcp.example.com");
    let real = name("real._http._tcp.example.com");
    f.seed(RecordSet::new(alias.clone(), 60, [RData::CNAME(real.clone())]).unwrap())
        .await;
    let srv = RData::SRV(Srv::new(0, 0, 80, name("h.example.com")));
    f.seed(RecordSet::new(real, 60, [srv]).unwrap()).await;
    let i = f.client().resolve(&alias).await.unwrap();
    assert_eq!(i.targets[0].port(), 80);
}

#[tokio::test]
async fn a_broken_backup_target_does_not_stop_failover() {
    let f = Fixture::new().await;
    let owner = name("svc._http._tcp.example.com");
    let srvs = [
        RData::SRV(Srv::new(0, 10, 80, name("p.example.com"))),
        RData::SRV(Srv::new(10, 10, 80, name("backup.elsewhere.org"))),
    ];
    f.seed(RecordSet::new(owner.clone(), 60, srvs).unwrap())
        .await;
    f.seed_a("p.example.com", 60, "192.0.2.1").await;
    let client = f.client();
    let done = client
        .failover(&owner, &mut rand::rng(), |t| {
            let addrs = t.addresses.clone();
            async move { if addrs.is_empty() { Err(()) } else { Ok(addrs) } }
        })
        .await
        .unwrap();
    assert_eq!(done.target.host(), &name("p.example.com"));
    // discover-style callers still see the failure.
    let found = client.discover(&http(), &f.domain).await.unwrap();
    assert!(found.instances.is_empty());
}

#[tokio::test]
async fn watch_bounds_the_wrong_way_round_do_not_panic() {
    let f = Fixture::new().await;
    f.registry
        .register(&f.instance("a", "a.example.com", 80, "192.0.2.1"))
        .await
        .unwrap();
    let options = WatchOptions::default()
        .with_min_interval(Duration::from_secs(2))
        .with_max_interval(Duration::from_millis(500));
    let mut events = Box::pin(f.client().watch_with(&http(), &f.domain, options).unwrap());
    assert!(matches!(
        next_event(&mut events).await,
        WatchEvent::Added(_)
    ));
}

#[tokio::test]
async fn one_attempt_means_one_datagram() {
    let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let client = DnsSdClient::builder()
        .with_name_server(silent.local_addr().unwrap())
        .with_timeout(Duration::from_millis(300))
        .with_attempts(1)
        .build()
        .unwrap();
    let err = client
        .lookup(&name("x.example.com"), RecordType::A)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    let mut received = 0;
    let mut buf = [0u8; 512];
    while let Ok(Ok(_)) =
        tokio::time::timeout(Duration::from_millis(50), silent.recv_from(&mut buf)).await
    {
        received += 1;
    }
    assert_eq!(received, 1);
}

/// A discovery is valid until its earliest record expires, however long
/// the TTLs the client is allowed to keep (here two days, under a cap of
/// three).
#[tokio::test]
async fn valid_until_follows_long_ttls() {
    let f = Fixture::new().await;
    let two_days = 2 * 86_400;
    // Both address families, so no negative answer (kept for the SOA
    // minimum) is the earliest expiry.
    let inst = ServiceInstance::new("long", http(), f.domain.clone())
        .unwrap()
        .with_target(
            Target::new(name("long.example.com"), 80)
                .with_address("192.0.2.9".parse().unwrap())
                .with_address("2001:db8::9".parse().unwrap()),
        )
        .with_ttl(two_days);
    f.registry.register(&inst).await.unwrap();
    let clock = ManualClock::new();
    let client = DnsSdClient::builder()
        .with_name_server(f.server.addr())
        .with_clock(Arc::new(clock.clone()))
        .with_max_ttl(Duration::from_secs(3 * 86_400))
        .build()
        .unwrap();
    let started = dns_sd_client::Clock::now(&clock);
    let found = client.discover(&http(), &f.domain).await.unwrap();
    assert_eq!(found.instances.len(), 1);
    assert_eq!(
        found.valid_until,
        started + Duration::from_secs(u64::from(two_days))
    );
}
