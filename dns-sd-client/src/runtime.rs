//! The runtime hickory sends through: tokio's, except that TCP connections
//! acknowledge every answer at once.
//!
//! A discovery wave pipelines hundreds of questions on one TCP connection.
//! A server that does not set `TCP_NODELAY` (BIND 9.18, measured) holds
//! each answer until the one before it is acknowledged, and Linux delays
//! acknowledgements by up to 40 ms when it has nothing to send back, which
//! is the case once every question is out: the wave then stalls 40 ms at a
//! time (1,000 pipelined questions to BIND on loopback: 49 ms, against 8 ms
//! with immediate acknowledgements). `TCP_QUICKACK` asks for an immediate
//! acknowledgement, but Linux clears it as it sees fit, so it is set again
//! before every read.

use std::future::Future;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::io::{AsyncRead, AsyncWrite};
use hickory_net::runtime::iocompat::AsyncIoTokioAsStd;
use hickory_net::runtime::{
    DnsTcpStream, RuntimeProvider, TokioHandle, TokioRuntimeProvider, TokioTime,
};
use tokio::net::{TcpStream, UdpSocket};

/// The resolver every question goes through.
pub(crate) type DnsResolver = hickory_resolver::Resolver<QuickAckRuntime>;

/// tokio's runtime provider with [`QuickAckTcp`] connections.
#[derive(Clone, Default)]
pub(crate) struct QuickAckRuntime(TokioRuntimeProvider);

impl RuntimeProvider for QuickAckRuntime {
    type Handle = TokioHandle;
    type Timer = TokioTime;
    type Udp = UdpSocket;
    type Tcp = QuickAckTcp;

    fn create_handle(&self) -> Self::Handle {
        self.0.create_handle()
    }

    fn connect_tcp(
        &self,
        server_addr: SocketAddr,
        bind_addr: Option<SocketAddr>,
        timeout: Option<Duration>,
    ) -> Pin<Box<dyn Send + Future<Output = io::Result<Self::Tcp>>>> {
        let connect = self.0.connect_tcp(server_addr, bind_addr, timeout);
        Box::pin(async move { connect.await.map(QuickAckTcp) })
    }

    fn bind_udp(
        &self,
        local_addr: SocketAddr,
        server_addr: SocketAddr,
    ) -> Pin<Box<dyn Send + Future<Output = io::Result<Self::Udp>>>> {
        self.0.bind_udp(local_addr, server_addr)
    }
}

/// A TCP connection that asks for an immediate acknowledgement before each
/// read (see the module documentation).
pub(crate) struct QuickAckTcp(AsyncIoTokioAsStd<TcpStream>);

impl QuickAckTcp {
    fn acknowledge_at_once(&self) {
        #[cfg(target_os = "linux")]
        {
            // Only a hint: a failure leaves the usual delayed acknowledgements.
            let _ = socket2::SockRef::from(&self.0.0).set_tcp_quickack(true);
        }
    }
}

impl DnsTcpStream for QuickAckTcp {
    type Time = TokioTime;
}

impl AsyncRead for QuickAckTcp {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.acknowledge_at_once();
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for QuickAckTcp {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_close(cx)
    }
}
