//! This host's address: given, from the EC2 instance metadata service
//! (IMDSv2, through aws-config's client), or the default route's interface.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::Duration;

use aws_config::imds;
use dns_core::{Label, Name};

use crate::cli::AddressSpec;
use crate::failure::Failure;

/// Resolves every `--address`, in order, without duplicates.
pub(crate) async fn resolve_all(specs: &[AddressSpec]) -> Result<Vec<IpAddr>, Failure> {
    let mut out: Vec<IpAddr> = Vec::new();
    for spec in specs {
        let ip = resolve(*spec).await?;
        if !out.contains(&ip) {
            out.push(ip);
        }
    }
    Ok(out)
}

async fn resolve(spec: AddressSpec) -> Result<IpAddr, Failure> {
    match spec {
        AddressSpec::Ip(ip) => Ok(ip),
        AddressSpec::Public => ec2("public-ipv4", "public").await,
        AddressSpec::Private => ec2("local-ipv4", "private").await,
        AddressSpec::Auto => match ec2("local-ipv4", "auto").await {
            Ok(ip) => Ok(ip),
            Err(off_ec2) => {
                tracing::info!("{}; using the default route's interface", message(&off_ec2));
                default_route_address()
            }
        },
    }
}

fn message(failure: &Failure) -> String {
    failure.message().unwrap_or_default()
}

/// Reads one address from the instance metadata service. The client is
/// configured to give up quickly: off EC2 nothing answers at all.
async fn ec2(item: &str, asked: &str) -> Result<IpAddr, Failure> {
    let off_ec2 = |why: String| {
        Failure::failed(format!(
            "--address {asked}: the EC2 instance metadata service (IMDSv2) {why}; \
             off EC2, give the address itself (--address 192.0.2.10)"
        ))
    };
    if std::env::var("AWS_EC2_METADATA_DISABLED").is_ok_and(|v| v.eq_ignore_ascii_case("true")) {
        return Err(off_ec2("is disabled by AWS_EC2_METADATA_DISABLED".into()));
    }
    let client = imds::Client::builder()
        .connect_timeout(Duration::from_secs(1))
        .read_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(4))
        .max_attempts(2)
        .build();
    let text = client
        .get(format!("/latest/meta-data/{item}"))
        .await
        .map_err(|e| {
            off_ec2(format!(
                "did not answer ({})",
                crate::failure::one_line(&e.to_string())
            ))
        })?;
    let text = text.as_ref().trim();
    text.parse::<IpAddr>().map_err(|_| {
        off_ec2(format!(
            "answered {text:?} for {item}, not an address (does this instance have a {asked} address?)"
        ))
    })
}

/// The source address the kernel would use on the default route. Connecting
/// a UDP socket sends nothing; it only asks for a route.
pub(crate) fn default_route_address() -> Result<IpAddr, Failure> {
    let probes = [
        SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 9),
        SocketAddr::new(
            IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
            9,
        ),
    ];
    for probe in probes {
        let bind: SocketAddr = match probe {
            SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
            SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
        };
        let found = UdpSocket::bind(bind)
            .and_then(|s| s.connect(probe).map(|()| s))
            .and_then(|s| s.local_addr());
        if let Ok(local) = found
            && !local.ip().is_unspecified()
        {
            return Ok(local.ip());
        }
    }
    Err(Failure::failed(
        "--address auto: not on EC2 and no default route to take an address from; give the address itself",
    ))
}

/// The classic host name for an address: `10-1-2-3.<zone>`; IPv6 written
/// out in full (`2001-0db8-0000-...`) so the label never starts or ends
/// with a hyphen.
pub(crate) fn host_name_for(ip: IpAddr, zone: &Name) -> Result<Name, Failure> {
    let label = match ip {
        IpAddr::V4(v4) => v4.octets().map(|o| o.to_string()).join("-"),
        IpAddr::V6(v6) => v6.segments().map(|s| format!("{s:04x}")).join("-"),
    };
    Label::new(&label)
        .and_then(|l| zone.prepend(l))
        .map_err(|e| Failure::usage(format!("host name for {ip} in {zone}: {e}")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn host_names_follow_the_classic_scripts() {
        let zone = Name::parse("example.com").unwrap();
        assert_eq!(
            host_name_for("10.1.2.3".parse().unwrap(), &zone)
                .unwrap()
                .to_string(),
            "10-1-2-3.example.com."
        );
        assert_eq!(
            host_name_for("2001:db8::1".parse().unwrap(), &zone)
                .unwrap()
                .to_string(),
            "2001-0db8-0000-0000-0000-0000-0000-0001.example.com."
        );
    }
}
