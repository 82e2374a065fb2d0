//! The async runtime the peer connections run on: webrtc-rs's own tokio runtime, with larger
//! UDP receive buffers. A video frame is handed to the stack whole and leaves as one burst of
//! RTP packets; at `--fps 1` and 1 Mbit/s that is 110 packets at once, whose kernel buffers
//! (some 250 KB on loopback) overflow the default 208 KiB receive buffer, and the receiver
//! loses most of every frame. A real sender paces its packets; webrtc-rs does not, so the
//! receiving socket holds a second of the call instead.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::wire::{Tapped, WireLog};
use webrtc::runtime::{AsyncInterval, AsyncTcpListener, AsyncTcpStream, AsyncUdpSocket, JoinHandle, Runtime};

/// Receive buffer asked for each UDP socket (the kernel caps it at `net.core.rmem_max`; as
/// root the cap is passed over).
pub const RECEIVE_BUFFER: usize = 4 << 20;

/// webrtc-rs's default runtime with [`RECEIVE_BUFFER`] on every UDP socket, and each socket
/// tapped into a [`WireLog`] when one is given.
#[derive(Debug)]
pub struct Buffered(Arc<dyn Runtime>, Option<Arc<WireLog>>);

/// webrtc-rs's default runtime, buffered (and tapped into `wire`); None when it has none.
pub fn buffered(wire: Option<Arc<WireLog>>) -> Option<Arc<dyn Runtime>> {
    webrtc::runtime::default_runtime().map(|r| Arc::new(Buffered(r, wire)) as Arc<dyn Runtime>)
}

/// Set the receive buffer, forcing past `rmem_max` where allowed; a refusal leaves the
/// socket as it was (the call still runs, with the kernel's default).
fn enlarge(socket: &std::net::UdpSocket) {
    use nix::sys::socket::{setsockopt, sockopt};
    if setsockopt(socket, sockopt::RcvBufForce, &RECEIVE_BUFFER).is_err() {
        let _ = setsockopt(socket, sockopt::RcvBuf, &RECEIVE_BUFFER);
    }
}

impl Runtime for Buffered {
    fn spawn(&self, future: Pin<Box<dyn Future<Output = ()> + Send>>) -> Box<dyn JoinHandle> {
        self.0.spawn(future)
    }

    fn spawn_reactor(
        &self,
        reactor_pool_size: usize,
        future: Pin<Box<dyn Future<Output = ()> + Send>>,
    ) -> Box<dyn JoinHandle> {
        self.0.spawn_reactor(reactor_pool_size, future)
    }

    fn wrap_udp_socket(&self, socket: std::net::UdpSocket) -> io::Result<Arc<dyn AsyncUdpSocket>> {
        enlarge(&socket);
        let socket = self.0.wrap_udp_socket(socket)?;
        Ok(match &self.1 {
            Some(log) => Arc::new(Tapped::new(socket, log.clone())),
            None => socket,
        })
    }

    fn wrap_tcp_listener(&self, listener: std::net::TcpListener) -> io::Result<Arc<dyn AsyncTcpListener>> {
        self.0.wrap_tcp_listener(listener)
    }

    fn connect_tcp<'a>(
        &'a self,
        remote_addr: SocketAddr,
    ) -> Pin<Box<dyn Future<Output = io::Result<Arc<dyn AsyncTcpStream>>> + Send + 'a>> {
        self.0.connect_tcp(remote_addr)
    }

    fn resolve_host<'a>(
        &'a self,
        host: &'a str,
    ) -> Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'a>> {
        self.0.resolve_host(host)
    }

    fn now(&self) -> Instant {
        self.0.now()
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        self.0.sleep(duration)
    }

    fn interval(&self, period: Duration) -> Box<dyn AsyncInterval> {
        self.0.interval(period)
    }

    fn yield_now(&self) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        self.0.yield_now()
    }

    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn block_on(&self, future: Pin<Box<dyn Future<Output = ()> + '_>>) {
        self.0.block_on(future)
    }
}
