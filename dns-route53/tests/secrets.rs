#![allow(clippy::unwrap_used, reason = "tests")]
//! Secrets given to the builder never reach an error, even when a server or
//! a proxy echoes them back (the session token travels in a header, so a
//! proxy can quote it).

use dns_core::{Change, DnsProvider, Error, Name, RData, RecordSet, RetryPolicy, Zone};
use dns_route53::Route53Builder;
use wiremock::matchers::{any, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "wJalrXUtnFEMI-K7MDENG-example-secret";
const TOKEN: &str = "FwoGZXIvYXdzEBYaDH-example-session-token";

#[tokio::test]
async fn an_echoed_secret_or_session_token_never_reaches_an_error() {
    for (status, code) in [
        (403, "InvalidClientTokenId"),
        (400, "InvalidInput"),
        (500, "InternalFailure"),
        (400, "Throttling"),
    ] {
        let server = MockServer::start().await;
        let body = format!(
            "<ErrorResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><Error>\
             <Type>Sender</Type><Code>{code}</Code><Message>X-Amz-Security-Token: {TOKEN}; \
             key {SECRET}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"
        );
        Mock::given(any())
            .respond_with(ResponseTemplate::new(status).set_body_raw(body, "text/xml"))
            .mount(&server)
            .await;
        let p = Route53Builder::new()
            .with_endpoint_url(server.uri())
            .with_session_credentials("AKIDEXAMPLE", SECRET, TOKEN)
            .with_retry(RetryPolicy::never())
            .build()
            .await
            .unwrap();
        let zone = Zone::new("Z1EXAMPLE", Name::parse("example.com").unwrap());
        let errors = [
            p.list_record_sets(&zone).await.unwrap_err(),
            p.list_zones().await.unwrap_err(),
            p.zone_by_id("Z1EXAMPLE").await.unwrap_err(),
        ];
        for err in errors {
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains(TOKEN), "{code}: {shown}");
            assert!(!shown.contains(SECRET), "{code}: {shown}");
            assert!(
                shown.contains("***"),
                "{code}: redacted, not dropped: {shown}"
            );
        }
    }
}

/// A compare-and-swap that stays stale ends in a `Conflict` that quotes
/// Route 53's messages, with any configured secret in them redacted.
#[tokio::test]
async fn a_conflict_quotes_route53s_messages_without_the_secret() {
    let server = MockServer::start().await;
    let listing = "<?xml version=\"1.0\"?>\n<ListResourceRecordSetsResponse \
        xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><ResourceRecordSets>\
        <ResourceRecordSet><Name>www.example.com.</Name><Type>A</Type><TTL>300</TTL>\
        <ResourceRecords><ResourceRecord><Value>192.0.2.1</Value></ResourceRecord>\
        </ResourceRecords></ResourceRecordSet></ResourceRecordSets>\
        <IsTruncated>false</IsTruncated><MaxItems>300</MaxItems>\
        </ListResourceRecordSetsResponse>";
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(listing, "text/xml"))
        .mount(&server)
        .await;
    let stale = format!(
        "Tried to delete resource record set [name='www.example.com.', type='A'] \
         but it was not found (key {SECRET})"
    );
    let body = format!(
        "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">\
         <Error><Type>Sender</Type><Code>InvalidChangeBatch</Code><Message>[{stale}]</Message>\
         <messages><Message>{stale}</Message></messages></Error>\
         <RequestId>r-1</RequestId></ErrorResponse>"
    );
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(body, "text/xml"))
        .mount(&server)
        .await;
    let p = Route53Builder::new()
        .with_endpoint_url(server.uri())
        .with_session_credentials("AKIDEXAMPLE", SECRET, TOKEN)
        .with_retry(RetryPolicy::never())
        .with_max_cas_attempts(2)
        .build()
        .await
        .unwrap();
    let zone = Zone::new("Z1EXAMPLE", Name::parse("example.com").unwrap());
    let set = RecordSet::new(
        Name::parse("www.example.com").unwrap(),
        300,
        [RData::A("192.0.2.2".parse().unwrap())],
    )
    .unwrap();
    let err = p.apply(&zone, &[Change::Upsert(set)]).await.unwrap_err();
    assert!(matches!(err.root(), Error::Conflict { .. }), "{err:?}");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(
        shown.contains("type='A'] but it was not found (key ***)"),
        "Route 53's message is quoted, the secret redacted: {shown}"
    );
}

/// `Debug` shows where a provider sends its requests, never its secrets.
#[tokio::test]
async fn debug_shows_the_endpoint_and_region_and_no_secret() {
    let p = Route53Builder::new()
        .with_endpoint_url("http://127.0.0.1:9")
        .with_region("eu-west-1")
        .with_session_credentials("AKIDEXAMPLE", SECRET, TOKEN)
        .with_max_cas_attempts(7)
        .build()
        .await
        .unwrap();
    let shown = format!("{p:?}");
    assert!(shown.starts_with("Route53Provider {"), "{shown}");
    for part in ["http://127.0.0.1:9", "eu-west-1", "max_cas_attempts: 7"] {
        assert!(shown.contains(part), "{part}: {shown}");
    }
    assert!(!shown.contains(SECRET) && !shown.contains(TOKEN), "{shown}");
}
