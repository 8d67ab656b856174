//! A limit on simultaneous WebSocket connections per peer address: past
//! it, 503 before the upgrade.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use bytes::BytesMut;

use super::component::{AnswerFuture, Decision, HttpComponent, ServeFuture, Upgrade};
use crate::request::Rejection;
use crate::request::Request;
use crate::server::{ConnContext, ShutdownSignal, Transport};

type Counts = Arc<Mutex<HashMap<IpAddr, usize>>>;

/// Wraps a layer: each address may hold at most `max` upgraded
/// connections at once.
pub struct PerIpLimit<C> {
    inner: C,
    max: usize,
    counts: Counts,
}

impl<C: HttpComponent> PerIpLimit<C> {
    /// At most `max` connections per peer address.
    pub fn new(inner: C, max: usize) -> Self {
        Self { inner, max, counts: Counts::default() }
    }

    /// Counts one more connection for `addr`, unless it holds `max`.
    fn take_slot(&self, addr: IpAddr) -> Option<Slot> {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let held = counts.get(&addr).copied().unwrap_or(0);
        if held >= self.max {
            return None;
        }
        counts.insert(addr, held + 1);
        Some(Slot { counts: self.counts.clone(), addr })
    }

    /// Connections held now (or being decided) by `addr`.
    pub fn count(&self, addr: IpAddr) -> usize {
        self.counts.lock().unwrap_or_else(|p| p.into_inner()).get(&addr).copied().unwrap_or(0)
    }
}

impl<C: HttpComponent> HttpComponent for PerIpLimit<C> {
    async fn on_request(&self, request: &mut Request) -> Decision {
        let Some(addr) = request.remote_addr().map(|a| a.ip()) else {
            return self.inner.on_request(request).await;
        };
        // The slot is taken before the layers inside decide (they may
        // await): handshakes in flight count, so concurrent ones from one
        // address cannot all pass the check. Given back unless upgraded.
        let Some(slot) = self.take_slot(addr) else {
            return Decision::Reject(Rejection::new(503, "too many connections from your address"));
        };
        match self.inner.on_request(request).await {
            Decision::Upgrade(inner) => Decision::Upgrade(Box::new(Counted { inner, slot })),
            other => other,
        }
    }
}

/// One counted connection; uncounted when dropped.
struct Slot {
    counts: Counts,
    addr: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = counts.get_mut(&self.addr) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.addr);
            }
        }
    }
}

struct Counted {
    inner: Box<dyn Upgrade>,
    slot: Slot,
}

impl Upgrade for Counted {
    fn serve(
        self: Box<Self>,
        transport: Transport,
        request: Request,
        buffered: BytesMut,
        context: ConnContext,
    ) -> ServeFuture {
        let Counted { inner, slot } = *self;
        let serve = inner.serve(transport, request, buffered, context);
        Box::pin(async move {
            serve.await;
            drop(slot);
        })
    }

    fn answer(
        self: Box<Self>,
        request: Request,
        http: http::Request<hyper::body::Incoming>,
        shutdown: ShutdownSignal,
    ) -> Option<AnswerFuture> {
        let Counted { inner, slot } = *self;
        let answering = inner.answer(request, http, shutdown)?;
        Some(Box::pin(async move {
            let answer = answering.await;
            drop(slot);
            answer
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;
    use std::pin::pin;
    use std::task::Poll;

    use tokio::sync::{Mutex as AsyncMutex, oneshot};

    use super::*;

    /// Upgrades, or refuses, once told to: a layer that awaits.
    struct Gate(AsyncMutex<Option<oneshot::Receiver<bool>>>);

    struct Nothing;

    impl Upgrade for Nothing {
        fn serve(
            self: Box<Self>,
            _: Transport,
            _: Request,
            _: BytesMut,
            _: ConnContext,
        ) -> ServeFuture {
            Box::pin(async {})
        }
    }

    impl HttpComponent for Gate {
        async fn on_request(&self, _: &mut Request) -> Decision {
            let gate = self.0.lock().await.take().expect("one request waits at the gate");
            if gate.await.unwrap() {
                Decision::Upgrade(Box::new(Nothing))
            } else {
                Decision::Reject(Rejection::new(401, "no"))
            }
        }
    }

    fn request() -> Request {
        let mut request = Request::from_head("GET / HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
        request.set_remote_addr("10.0.0.1:5000".parse().unwrap());
        request
    }

    #[tokio::test]
    async fn a_handshake_being_decided_holds_its_slot() {
        let addr: IpAddr = "10.0.0.1".parse().unwrap();
        for upgraded in [true, false] {
            let (open, gate) = oneshot::channel();
            let limit = PerIpLimit::new(Gate(AsyncMutex::new(Some(gate))), 1);
            let (mut first, mut second) = (request(), request());
            let mut deciding = pin!(limit.on_request(&mut first));
            // The first waits inside; its slot is taken already.
            assert!(poll_fn(|cx| Poll::Ready(deciding.as_mut().poll(cx).is_pending())).await);
            assert_eq!(limit.count(addr), 1);
            match limit.on_request(&mut second).await {
                Decision::Reject(rejection) => assert_eq!(rejection.status(), 503),
                _ => panic!("a second handshake from the address got through"),
            }
            open.send(upgraded).unwrap();
            let decision = deciding.await;
            // Kept by the upgrade (until the connection ends), given back otherwise.
            assert_eq!(limit.count(addr), usize::from(upgraded));
            drop(decision);
            assert_eq!(limit.count(addr), 0);
        }
    }
}
