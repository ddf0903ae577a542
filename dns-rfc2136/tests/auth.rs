//! TSIG against real servers: a wrong secret, no key, and a key allowed
//! only on another zone each fail with a typed error, show no secret, and
//! change nothing; a key of an unsupported algorithm is refused before
//! any request.
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

mod support;

use dns_core::{Change, DnsProvider, Error, Name, RData, RecordSet, RecordType};
use dns_rfc2136::{Rfc2136Builder, TsigAlgorithm, TsigKey};
use dns_testkit::authoritative::{AuthServer, Flavor};

fn www() -> RecordSet {
    RecordSet::new(
        Name::parse(&format!("auth-check.{}", support::ZONE)).unwrap(),
        60,
        [RData::A([192, 0, 2, 77].into())],
    )
    .unwrap()
}

fn assert_secret_hidden(error: &Error) {
    let shown = format!("{error} {error:?}");
    for secret in [support::SECRET, support::OTHER_SECRET, "AAECAwQFBgcICQ=="] {
        assert!(!shown.contains(secret), "a secret shows in: {shown}");
    }
}

/// Builders that must fail: (what, builder, whether the error names the key).
fn bad_clients(server: &AuthServer) -> Vec<(&'static str, Rfc2136Builder, bool)> {
    let base = || {
        Rfc2136Builder::new(server.addr())
            .with_zone(Name::parse(support::ZONE).unwrap())
            .with_retry(dns_core::RetryPolicy::never())
    };
    let wrong_secret = TsigKey::new(
        Name::parse("update-key").unwrap(),
        TsigAlgorithm::HmacSha256,
        "AAECAwQFBgcICQ==",
    )
    .unwrap();
    vec![
        ("a wrong secret", base().with_tsig_key(wrong_secret), true),
        ("no key", base(), false),
        (
            "a key for another zone",
            base().with_tsig_key(support::other_zone_key()),
            true,
        ),
    ]
}

async fn refused_and_unchanged(flavor: Flavor) {
    let server = support::start(flavor);
    let good = support::provider(&server);
    let zone = support::zone();
    let before = good.list_record_sets(&zone).await.unwrap();
    for (what, builder, names_key) in bad_clients(&server) {
        let bad = builder.build().unwrap();
        let error = bad.apply(&zone, &[Change::Add(www())]).await.unwrap_err();
        // The zone exists on the server: the key is what is wrong.
        assert!(
            matches!(error, Error::Auth { .. }),
            "{flavor:?}, {what}: expected Auth, got {error:?}"
        );
        assert!(!error.is_retryable(), "{what}: {error}");
        assert_secret_hidden(&error);
        let text = error.to_string();
        assert!(
            text.contains(support::ZONE),
            "{what}: the zone is not named: {text}"
        );
        if names_key {
            assert!(text.contains("key"), "{what}: the key is not named: {text}");
        }
        assert_eq!(text.lines().count(), 1, "{what}: not one line: {text}");
        // Listing is refused the same way.
        let error = bad.list_record_sets(&zone).await.unwrap_err();
        assert!(
            matches!(error, Error::Auth { .. }),
            "{flavor:?}, {what}: AXFR should be refused as Auth, got {error:?}"
        );
        assert_secret_hidden(&error);
    }
    assert!(
        good.get_record_set(&zone, www().name(), RecordType::A)
            .await
            .unwrap()
            .is_none(),
        "a refused update wrote a record"
    );
    assert_eq!(
        good.list_record_sets(&zone).await.unwrap(),
        before,
        "the zone changed"
    );
    // The good key does write, so the refusals above were the keys'.
    good.apply(&zone, &[Change::Add(www())]).await.unwrap();
    assert!(
        good.get_record_set(&zone, www().name(), RecordType::A)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_keys_are_refused_on_bind_and_change_nothing() {
    refused_and_unchanged(Flavor::Bind9).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_keys_are_refused_on_knot_and_change_nothing() {
    refused_and_unchanged(Flavor::Knot).await;
}

#[test]
fn unsupported_algorithms_fail_when_the_key_is_read() {
    let text = "key \"legacy\" { algorithm hmac-sha1; secret \"AAECAwQFBgcICQ==\"; };";
    let error = TsigKey::parse_bind(text).unwrap_err();
    assert!(error.to_string().contains("hmac-sha1"), "{error}");
    assert!(!error.to_string().contains("AAECAwQFBgcICQ=="));
}

#[test]
fn from_env_reads_the_server_and_key_file() {
    let dir = dns_testkit::peer::tmp_dir().join(format!("rfc2136-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("update.key");
    std::fs::write(
        &file,
        format!(
            "key \"update-key\" {{\n\talgorithm hmac-sha256;\n\tsecret \"{}\";\n}};\n",
            support::SECRET
        ),
    )
    .unwrap();
    let builder = Rfc2136Builder::from_lookup(|name| match name {
        dns_rfc2136::ENV_SERVER => Some("127.0.0.1:5353".into()),
        dns_rfc2136::ENV_TSIG_KEY_FILE => Some(file.clone().into_os_string()),
        _ => None,
    });
    let shown = format!("{builder:?}");
    let provider = builder.build().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(provider.server().port(), 5353);
    assert!(shown.contains("update-key"), "{shown}");
    assert!(
        !shown.contains(support::SECRET),
        "the secret shows in {shown}"
    );
    assert!(!format!("{provider:?}").contains(support::SECRET));
}
