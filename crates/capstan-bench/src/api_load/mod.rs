//! `api-load`: what the server API's publish costs, from one client to
//! many subscribers (issue #16, point 9): publishes per second, the time
//! until every subscriber had every publication, and the server's CPU per
//! publish. Loopback only; bounded in count and time.

pub mod args;
pub mod publisher;
pub mod subscribers;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use args::Options;
use subscribers::Deliveries;

use crate::deadline::Deadline;
use crate::procfs;

/// Runs `api-load` with `args` (without the program name).
pub fn main(args: Vec<String>) -> ExitCode {
    let options = args::parse(&args).unwrap_or_else(|e| e.exit());
    let runtime = match crate::tool::runtime("api-load") {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    match runtime.block_on(run(&options)) {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("api-load: {message}");
            ExitCode::FAILURE
        }
    }
}

/// One run: the report line (key=value pairs).
async fn run(options: &Options) -> Result<String, String> {
    let deadline = Deadline::new(Duration::from_secs(options.timeout_s));
    let deliveries = Arc::new(Deliveries::default());
    let expected = (options.subscribers * options.publishes) as u64;
    deliveries.expected.store(expected, Relaxed);
    let readers = subscribers::connect_all(options, deliveries.clone(), &deadline).await?;
    let cpu_before = options.pid.map(procfs::cpu_ns).transpose()?;
    let start = Instant::now();
    deadline.run("publishing", publisher::publish_all(options)).await?;
    let published = start.elapsed();
    let done = deliveries.done.notified();
    if deliveries.count.load(Relaxed) < expected {
        let waited = deadline
            .run("waiting for the deliveries", async {
                done.await;
                Ok(())
            })
            .await;
        if let Err(message) = waited {
            let got = deliveries.count.load(Relaxed);
            return Err(format!("{message}: {got} of {expected} deliveries arrived"));
        }
    }
    let delivered = start.elapsed();
    let cpu = match (options.pid, cpu_before) {
        (Some(pid), Some(before)) => Some(procfs::cpu_ns(pid)?.saturating_sub(before)),
        _ => None,
    };
    drop(readers);
    let got = deliveries.count.load(Relaxed);
    if got != expected {
        return Err(format!("{got} deliveries, {expected} expected"));
    }
    let per_second = options.publishes as f64 / published.as_secs_f64();
    let mut report = format!(
        "label={} subscribers={} publishes={} in_flight={} skip_history={} \
         publishes_per_s={per_second:.0} publish_s={:.3} all_delivered_s={:.3} \
         deliveries_per_s={:.0}",
        options.label,
        options.subscribers,
        options.publishes,
        options.in_flight,
        options.skip_history,
        published.as_secs_f64(),
        delivered.as_secs_f64(),
        expected as f64 / delivered.as_secs_f64(),
    );
    if let Some(cpu) = cpu {
        report += &format!(
            " server_cpu_us_per_publish={:.1}",
            cpu as f64 / 1e3 / options.publishes as f64
        );
    }
    Ok(report)
}
