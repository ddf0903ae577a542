//! `SrvResolver` as hyper-util's resolver: a `tower_service::Service` from
//! names to socket addresses.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper_util::client::legacy::connect::dns::Name;
use tower_service::Service;

use super::SrvResolver;
use crate::error::{Error, Result};

/// For `hyper_util::client::legacy::connect::HttpConnector::new_with_resolver`:
/// URL hosts naming DNS-SD services or instances resolve to their targets in
/// RFC 2782 order, on their SRV ports; other hosts fall through (see the
/// [module documentation](super)). The connector tries the addresses in the
/// order given.
///
/// Always ready: the resolver holds no per-call state, so there is nothing
/// to wait for before a call.
///
/// ```
/// use dns_sd_client::{DnsSdClient, SrvResolver};
/// use hyper_util::client::legacy::connect::HttpConnector;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let client = DnsSdClient::with_name_servers(["127.0.0.1:53".parse()?])?;
/// let connector = HttpConnector::new_with_resolver(SrvResolver::new(client));
/// // hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(connector)
/// # drop(connector);
/// # Ok(())
/// # }
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "hyper-util")))]
impl Service<Name> for SrvResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let resolver = self.clone();
        Box::pin(async move {
            let addrs = resolver.resolve_host(name.as_str()).await?;
            Ok(addrs.into_iter())
        })
    }
}
