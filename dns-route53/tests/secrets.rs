#![allow(clippy::unwrap_used, reason = "tests")]
//! Secrets given to the builder never reach an error, even when a server or
//! a proxy echoes them back (the session token travels in a header, so a
//! proxy can quote it).

use dns_core::{DnsProvider, Name, RetryPolicy, Zone};
use dns_route53::Route53Builder;
use wiremock::matchers::any;
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
