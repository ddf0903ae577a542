//! One port for both transports, as DNS clients expect.

use std::io;
use std::net::SocketAddr;

use tokio::net::{TcpListener, UdpSocket};

/// Ephemeral ports tried before giving up when the TCP side of a UDP port is taken.
const ATTEMPTS: usize = 10;

/// Binds UDP at `addr`, then TCP on the port UDP got, as a DNS server
/// needs both on one port. With port 0 the kernel picks UDP ports that may
/// be busy for TCP, so it tries again with another port; with a fixed port
/// there is nothing else to try.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let (udp, tcp) = dns_server::bind_udp_and_tcp("127.0.0.1:0".parse().unwrap()).await?;
/// assert_eq!(udp.local_addr()?.port(), tcp.local_addr()?.port());
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// When either socket cannot be bound.
pub async fn udp_and_tcp(addr: SocketAddr) -> io::Result<(UdpSocket, TcpListener)> {
    let attempts = if addr.port() == 0 { ATTEMPTS } else { 1 };
    let mut last_error = None;
    for _ in 0..attempts {
        let udp = UdpSocket::bind(addr).await?;
        match TcpListener::bind(udp.local_addr()?).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::other("no port to bind")))
}
