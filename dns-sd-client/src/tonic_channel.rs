//! Feeding a tonic balanced [`Channel`] from an [`EndpointStream`].

use std::collections::HashSet;
use std::convert::Infallible;
use std::fmt::Display;
use std::pin::pin;

use futures::future::{Either, select};
use futures::{Stream, StreamExt};
use tokio::sync::mpsc::Sender;
use tokio::task::JoinHandle;
use tonic::transport::Channel;
use tonic::transport::channel::Change as ChannelChange;
use tower::discover::Change;

use crate::endpoints::{Endpoint, EndpointKey, EndpointStream};

/// Room for one poll's worth of changes before [`feed_channel`] waits for
/// the channel to take them.
const CAPACITY: usize = 64;

/// An error of [`http_endpoint`] or of a caller's own endpoint builder.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Forwards endpoint changes (an [`EndpointStream`], or one filtered or
/// watched on the way) to the sender of
/// [`Channel::balance_channel`], turning each inserted [`Endpoint`] into a
/// tonic endpoint with `make_endpoint` (where TLS, timeouts or an origin
/// are set; [`http_endpoint`] is the plain-text default).
///
/// An endpoint `make_endpoint` refuses is logged and left out (and so is
/// its later Remove). Returns when the channel is dropped (its receiver
/// closes) or the stream ends.
pub async fn feed_channel<S, F, E>(
    mut endpoints: S,
    sender: Sender<ChannelChange<EndpointKey, tonic::transport::Endpoint>>,
    mut make_endpoint: F,
) where
    S: Stream<Item = Result<Change<EndpointKey, Endpoint>, Infallible>> + Unpin,
    F: FnMut(&Endpoint) -> Result<tonic::transport::Endpoint, E>,
    E: Display,
{
    let mut fed = HashSet::new();
    loop {
        // Waiting on the stream alone would outlive the channel for as long
        // as the service stays the same.
        let item = match select(pin!(sender.closed()), endpoints.next()).await {
            Either::Left(((), _)) | Either::Right((None, _)) => return,
            Either::Right((Some(item), _)) => item,
        };
        let Ok(change): Result<_, Infallible> = item;
        let change = match change {
            Change::Insert(key, endpoint) => match make_endpoint(&endpoint) {
                Ok(built) => {
                    fed.insert(key.clone());
                    ChannelChange::Insert(key, built)
                }
                Err(error) => {
                    tracing::warn!(?key, %error, "leaving out an endpoint tonic cannot use");
                    continue;
                }
            },
            Change::Remove(key) => {
                if !fed.remove(&key) {
                    continue;
                }
                ChannelChange::Remove(key)
            }
        };
        if sender.send(change).await.is_err() {
            return;
        }
    }
}

/// A balanced [`Channel`] over the endpoints of `endpoints`, kept up to
/// date by a task running [`feed_channel`] (ending when the channel and
/// its clones are dropped).
///
/// # Panics
///
/// Outside a tokio runtime (it spawns the task).
pub fn balanced_channel<F, E>(
    endpoints: EndpointStream,
    make_endpoint: F,
) -> (Channel, JoinHandle<()>)
where
    F: FnMut(&Endpoint) -> Result<tonic::transport::Endpoint, E> + Send + 'static,
    E: Display + 'static,
{
    let (channel, sender) = Channel::balance_channel(CAPACITY);
    let task = tokio::spawn(feed_channel(endpoints, sender, make_endpoint));
    (channel, task)
}

/// `http://<address>:<port>` with the endpoint's first address: a
/// plain-text connection straight to the address DNS-SD found (a host
/// name in the URI would be looked up again by the system resolver, which
/// may not know it).
///
/// # Errors
///
/// When the endpoint has no address (the stream never inserts one).
pub fn http_endpoint(endpoint: &Endpoint) -> Result<tonic::transport::Endpoint, BoxError> {
    let addr = endpoint
        .socket_addrs()
        .next()
        .ok_or("the endpoint has no address")?;
    Ok(tonic::transport::Endpoint::from_shared(format!(
        "http://{addr}"
    ))?)
}
