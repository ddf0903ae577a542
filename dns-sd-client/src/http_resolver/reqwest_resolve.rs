//! `SrvResolver` as reqwest's resolver.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::SrvResolver;

/// URL hosts naming DNS-SD services or instances resolve to their targets
/// in RFC 2782 order, on their SRV ports; other hosts fall through (see the
/// [module documentation](super)). reqwest tries the addresses in the order
/// given, so the order is the fail-over order.
///
/// ```
/// use dns_sd_client::{DnsSdClient, SrvResolver};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let client = DnsSdClient::with_name_servers(["127.0.0.1:53".parse()?])?;
/// // reqwest 0.13 takes the resolver itself, or an Arc of it.
/// let http = reqwest::Client::builder()
///     .dns_resolver(SrvResolver::new(client))
///     .build()?;
/// # drop(http);
/// # Ok(())
/// # }
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
impl Resolve for SrvResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let resolver = self.clone();
        Box::pin(async move {
            let addrs = resolver.resolve_host(name.as_str()).await?;
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}
