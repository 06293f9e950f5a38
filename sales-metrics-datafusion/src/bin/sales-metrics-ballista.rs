//! The stock Ballista scheduler and executor, knowing the crate's
//! functions: `sales-metrics-ballista scheduler [FLAGS]` and
//! `sales-metrics-ballista executor [FLAGS]`, with the flags of
//! `ballista-scheduler` and `ballista-executor` (`--help` lists them).

use std::net::SocketAddr;
use std::sync::Arc;

use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use clap::Parser;
use sales_metrics_datafusion::cluster::{executor_registry, session_builder};

type Failure = Box<dyn std::error::Error>;

fn main() -> Result<(), Failure> {
    let mut args = std::env::args();
    let program = args.next().unwrap_or_default();
    let role = args.next().unwrap_or_default();
    let rest = std::iter::once(format!("{program} {role}")).chain(args);
    // The stock scheduler runs on a large stack (deep plans).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(32 * 1024 * 1024)
        .build()?;
    match role.as_str() {
        "scheduler" => runtime.block_on(scheduler(rest)),
        "executor" => runtime.block_on(executor(rest)),
        _ => {
            eprintln!("usage: {program} scheduler|executor [FLAGS] (--help lists the flags)");
            std::process::exit(2);
        }
    }
}

async fn scheduler(args: impl Iterator<Item = String>) -> Result<(), Failure> {
    let opt = ballista_scheduler::config::Config::parse_from(args);
    let addr: SocketAddr = format!("{}:{}", opt.bind_host, opt.bind_port).parse()?;
    let config: SchedulerConfig = opt.try_into()?;
    let config = config.with_override_session_builder(Arc::new(session_builder));
    let cluster = BallistaCluster::new_from_config(&config).await?;
    start_server(cluster, addr, Arc::new(config)).await?;
    Ok(())
}

async fn executor(args: impl Iterator<Item = String>) -> Result<(), Failure> {
    let opt = ballista_executor::config::Config::parse_from(args);
    let mut config: ExecutorProcessConfig = opt.try_into()?;
    config.override_function_registry = Some(Arc::new(executor_registry()?));
    start_executor_process(Arc::new(config)).await?;
    Ok(())
}
