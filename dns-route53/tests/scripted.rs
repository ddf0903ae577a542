#![allow(clippy::unwrap_used, reason = "tests")]
//! Exchanges scripted with wiremock, for sequences neither moto nor the
//! fake can be made to produce on demand.

use dns_core::{Change, DnsProvider, Name, RData, RecordSet, RetryPolicy, Zone};
use dns_route53::{Route53Builder, Route53Provider};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const NS: &str = "https://route53.amazonaws.com/doc/2013-04-01/";

fn xml(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body, "text/xml")
}

fn accepted(id: u32) -> ResponseTemplate {
    xml(format!(
        "<?xml version=\"1.0\"?>\n<ChangeResourceRecordSetsResponse xmlns=\"{NS}\"><ChangeInfo>\
         <Id>/change/C{id}</Id><Status>PENDING</Status>\
         <SubmittedAt>2026-01-01T00:00:00.000Z</SubmittedAt></ChangeInfo>\
         </ChangeResourceRecordSetsResponse>"
    ))
}

/// A provider for `server`, without retries.
async fn provider(server: &MockServer) -> Route53Provider {
    Route53Builder::new()
        .with_endpoint_url(server.uri())
        .with_credentials("AKIDEXAMPLE", "not-a-secret")
        .with_retry(RetryPolicy::never())
        .build()
        .await
        .unwrap()
}

/// The names a ChangeResourceRecordSets body carries.
fn names_sent(request: &wiremock::Request) -> Vec<String> {
    let body = String::from_utf8_lossy(&request.body);
    body.split("<Name>")
        .skip(1)
        .filter_map(|rest| rest.split_once("</Name>").map(|(n, _)| n.to_owned()))
        .collect()
}

/// The second of two batches meets a stale read ("already exists") after
/// the first went through. The next round re-reads and re-sends what the
/// second batch carried, and only that: the first batch's sets are done.
#[tokio::test]
async fn a_conflict_in_a_later_batch_retries_that_batch_only() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(xml(empty_listing()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(accepted(1))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let stale = "Tried to create resource record set [name='h1000.example.com.', type='A'] \
                 but it already exists";
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(
            format!(
                "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"{NS}\"><Error><Type>Sender</Type>\
                 <Code>InvalidChangeBatch</Code><Message>[{stale}]</Message>\
                 <messages><Message>{stale}</Message></messages></Error>\
                 <RequestId>r-2</RequestId></ErrorResponse>"
            ),
            "text/xml",
        ))
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(accepted(3))
        .with_priority(3)
        .mount(&server)
        .await;
    let p = provider(&server).await;
    let zone = Zone::new("Z1EXAMPLE", Name::parse("example.com").unwrap());
    // 1,002 single-value creates: 1,000 records fill the first request.
    let changes: Vec<Change> = (0..1_002u32)
        .map(|i| {
            let name = Name::parse(&format!("h{i}.example.com")).unwrap();
            let ip = std::net::Ipv4Addr::from(0x0a00_0000 + i);
            Change::Add(RecordSet::new(name, 60, [RData::A(ip)]).unwrap())
        })
        .collect();
    let report = p.apply(&zone, &changes).await.unwrap();
    assert_eq!(report.change_ids.len(), 2, "{:?}", report.change_ids);
    assert!(!report.atomic);
    let posts: Vec<Vec<String>> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .map(names_sent)
        .collect();
    let sizes: Vec<usize> = posts.iter().map(Vec::len).collect();
    assert_eq!(sizes, [1_000, 2, 2]);
    assert_eq!(posts[2], ["h1000.example.com.", "h1001.example.com."]);

    // Reads: listing windows first; after the conflict each pending set is
    // read exactly (by name and type), since a window may be stale.
    let gets = get_queries(&server).await;
    let exact: Vec<&String> = gets.iter().filter(|q| q.contains("type=A")).collect();
    assert_eq!(exact.len(), 2, "{gets:?}");
    assert!(
        gets[0].contains("maxitems=300") && !gets[0].contains("type="),
        "{gets:?}"
    );

    // A single set is read exactly from the start: one small page.
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(xml(empty_listing()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(accepted(4))
        .mount(&server)
        .await;
    p.apply(&zone, &changes[..1]).await.unwrap();
    let gets = get_queries(&server).await;
    assert_eq!(gets.len(), 1, "{gets:?}");
    assert!(
        gets[0].contains("type=A") && gets[0].contains("maxitems=10"),
        "{gets:?}"
    );
}

fn empty_listing() -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<ListResourceRecordSetsResponse xmlns=\"{NS}\">\
         <ResourceRecordSets></ResourceRecordSets><IsTruncated>false</IsTruncated>\
         <MaxItems>300</MaxItems></ListResourceRecordSetsResponse>"
    )
}

async fn get_queries(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "GET")
        .map(|r| r.url.query().unwrap_or_default().to_owned())
        .collect()
}

/// `IsTruncated`, not the presence of a marker, ends a zone listing.
#[tokio::test]
async fn a_zone_listing_ends_where_route53_says_it_is_complete() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(xml(format!(
            "<?xml version=\"1.0\"?>\n<ListHostedZonesResponse xmlns=\"{NS}\"><HostedZones>\
             <HostedZone><Id>/hostedzone/Z1EXAMPLE</Id><Name>example.com.</Name>\
             <CallerReference>r</CallerReference><Config><PrivateZone>false</PrivateZone>\
             </Config><ResourceRecordSetCount>2</ResourceRecordSetCount></HostedZone>\
             </HostedZones><Marker></Marker><IsTruncated>false</IsTruncated>\
             <NextMarker>Z2EXAMPLE</NextMarker><MaxItems>100</MaxItems>\
             </ListHostedZonesResponse>"
        )))
        .mount(&server)
        .await;
    let p = provider(&server).await;
    let zones = p.list_zones().await.unwrap();
    assert_eq!(zones.len(), 1, "{zones:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}
