//! A worker's connections at work: one file per scenario, and the parts
//! they share.

pub mod churn;
pub mod echo;
pub mod idle;
pub mod messages;
pub mod reader;
pub mod sse_echo;
pub mod subscriber;

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use tokio::sync::watch;

use super::plan::WorkerPlan;
use super::scenario::Scenario;
use super::tally::Tally;
use super::transport::Transport;
use crate::client::{self, Connected};
use crate::fleet::open_many;
use crate::session_mode::greet::greet;
use crate::sources;

/// Longest a single connect and handshake may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `plan`'s part: opens the connections and starts their tasks (or,
/// for churn, runs the cycles once told to go). Returns when that is done;
/// the tasks keep running until the process exits.
pub async fn run(
    plan: WorkerPlan,
    tally: Arc<Tally>,
    go: watch::Receiver<bool>,
) -> Result<(), String> {
    match plan.scenario {
        Scenario::Echo if plan.transport == Transport::Sse => sse_echo::run(plan, tally, go).await,
        Scenario::Echo => echo::run(plan, tally, go).await,
        Scenario::Broadcast => subscriber::run(plan, tally).await,
        Scenario::Idle => idle::run(plan, tally, go).await,
        Scenario::Churn => churn::run(plan, tally, go).await,
    }
}

/// The mask key of run-wide connection `index` (fixed per connection: a
/// server cannot tell, and frames can be built ahead).
pub fn mask_for(index: usize) -> [u8; 4] {
    ((index as u32).wrapping_mul(0x9e37_79b1) | 1).to_be_bytes()
}

/// Connects run-wide connection `global` as `plan` says (its source
/// address, its server's address — the servers in turn — and the path);
/// in session mode, it is open once the server's `welcome` has come.
pub async fn connect(plan: &WorkerPlan, global: usize) -> Result<Connected, String> {
    let source = sources::source_for(global, plan.sources);
    let addr = plan.addrs[global % plan.addrs.len()];
    let mut conn = client::connect_from(source, addr, &plan.path, global as u64, None).await?;
    if plan.transport == Transport::Session {
        greet(&mut conn, mask_for(global)).await?;
    }
    Ok(conn)
}

/// Opens the plan's connections, `plan.concurrency` handshakes at a time,
/// and hands each to `start(local index, connection)` as soon as it is
/// open. Marks the tally ready when all are.
pub async fn open_all<T, F>(
    plan: &WorkerPlan,
    tally: &Arc<Tally>,
    start: F,
) -> Result<Vec<T>, String>
where
    F: Fn(usize, Connected) -> T + Send + Sync + 'static,
    T: Send + 'static,
{
    let start = Arc::new(start);
    let plan_shared = Arc::new(plan.clone());
    let open = |local: usize| {
        let (start, plan) = (start.clone(), plan_shared.clone());
        async move {
            let conn = connect(&plan, plan.first + local).await?;
            Ok(start(local, conn))
        }
    };
    let opened = open_many(plan.count, plan.concurrency, CONNECT_TIMEOUT, open, |done| {
        tally.opened.store(done as u64, Relaxed)
    })
    .await?;
    tally.ready.store(true, Relaxed);
    Ok(opened)
}

/// Waits until the coordinator says go; `false` if it never will.
pub async fn wait_for_go(go: &mut watch::Receiver<bool>) -> bool {
    go.wait_for(|&go| go).await.is_ok()
}
