//! A limit on simultaneous WebSocket connections per peer address: past
//! it, 503 before the upgrade.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use bytes::BytesMut;

use super::component::{Decision, HttpComponent, ServeFuture, Upgrade};
use crate::request::Rejection;
use crate::request::Request;
use crate::server::{ConnContext, Transport};

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

    /// Connections held now by `addr`.
    pub fn count(&self, addr: IpAddr) -> usize {
        self.counts.lock().unwrap_or_else(|p| p.into_inner()).get(&addr).copied().unwrap_or(0)
    }
}

impl<C: HttpComponent> HttpComponent for PerIpLimit<C> {
    async fn on_request(&self, request: &mut Request) -> Decision {
        let Some(addr) = request.remote_addr().map(|a| a.ip()) else {
            return self.inner.on_request(request).await;
        };
        {
            let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
            if counts.get(&addr).copied().unwrap_or(0) >= self.max {
                return Decision::Reject(Rejection::new(
                    503,
                    "too many connections from your address",
                ));
            }
        }
        match self.inner.on_request(request).await {
            Decision::Upgrade(inner) => {
                *self.counts.lock().unwrap_or_else(|p| p.into_inner()).entry(addr).or_insert(0) +=
                    1;
                let slot = Slot { counts: self.counts.clone(), addr };
                Decision::Upgrade(Box::new(Counted { inner, slot }))
            }
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
}
