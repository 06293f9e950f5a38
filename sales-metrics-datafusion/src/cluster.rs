//! Ballista (feature `ballista`): the same queries on a cluster.
//!
//! User-defined functions travel in Ballista plans by name, so the
//! client, the scheduler and every executor must know the crate's
//! functions. The client gets them from [`connect`]; a scheduler from
//! [`session_builder`]; an executor from [`executor_registry`]. The
//! `sales-metrics-ballista` binary of this crate is the stock Ballista
//! scheduler and executor with those two hooks:
//!
//! ```text
//! sales-metrics-ballista scheduler --bind-port 50050
//! sales-metrics-ballista executor --scheduler-host HOST --scheduler-port 50050 \
//!     --bind-port 50051 --bind-grpc-port 50052 --work-dir /data/ballista1
//! sales-metrics-ballista executor --scheduler-host HOST --scheduler-port 50050 \
//!     --bind-port 50061 --bind-grpc-port 50062 --work-dir /data/ballista2
//! ```
//!
//! (every flag of `ballista-scheduler` and `ballista-executor` works;
//! the scheduling policies of the two must match). Then
//! `connect("df://HOST:50050", partitions)` and query as with a local
//! [`SalesContext`]. Data paths must name the same files on every node (a
//! shared file system or an object store).
//!
//! [`LocalCluster::start`] starts a scheduler and executors inside the
//! calling process (tests, examples, a laptop).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ballista::prelude::{SessionConfigExt, SessionContextExt};
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::serde::BallistaCodec;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use ballista_core::utils::{default_config_producer, default_session_builder};
use ballista_core::{ConfigProducer, RuntimeProducer};
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::{FunctionRegistry, SessionState};
use datafusion::prelude::{SessionConfig, SessionContext};
use sales_metrics::ClassifyConfig;

use crate::error::{Error, Result};
use crate::functions::{scalar_functions, window_functions};
use crate::session::SalesContext;

/// A scheduler's sessions: Ballista's defaults with the crate's functions.
///
/// # Errors
/// Engine errors.
pub fn session_builder(config: SessionConfig) -> datafusion::error::Result<SessionState> {
    let mut state = default_session_builder(config)?;
    for f in scalar_functions() {
        state.register_udf(Arc::new(f))?;
    }
    for f in window_functions() {
        state.register_udwf(Arc::new(f))?;
    }
    Ok(state)
}

/// An executor's function registry: Ballista's defaults with the crate's
/// functions.
///
/// # Errors
/// Engine errors.
pub fn executor_registry() -> datafusion::error::Result<BallistaFunctionRegistry> {
    let state = session_builder(default_config_producer())?;
    Ok(BallistaFunctionRegistry::from(&state))
}

/// A [`SalesContext`] on the cluster whose scheduler is at `url`
/// (`df://host:port`), planning `partitions` target partitions and
/// classifying with `config`.
///
/// # Errors
/// When the scheduler cannot be reached.
pub async fn connect(url: &str, partitions: usize, config: ClassifyConfig) -> Result<SalesContext> {
    let session = SessionConfig::new_with_ballista().with_target_partitions(partitions.max(1));
    let state = SessionStateBuilder::new()
        .with_config(session)
        .with_default_features()
        .build();
    let ctx = SessionContext::remote_with_state(url, state).await?;
    // Registered after connecting: making a state Ballista's resets its
    // function lists.
    Ok(SalesContext::with_config(ctx, config))
}

/// A scheduler and executors running inside this process, on free
/// localhost ports; they stop with the tokio runtime.
#[derive(Debug, Clone, Copy)]
pub struct LocalCluster {
    scheduler: SocketAddr,
    executors: usize,
}

impl LocalCluster {
    /// Starts a scheduler and `executors` executors of `slots` task slots
    /// each (pull-based scheduling, as Ballista's standalone mode), all
    /// knowing the crate's functions.
    ///
    /// # Errors
    /// When a server cannot start.
    pub async fn start(executors: usize, slots: usize) -> Result<Self> {
        let config_producer: ConfigProducer = Arc::new(default_config_producer);
        let scheduler = ballista_scheduler::standalone::new_standalone_scheduler_with_builder(
            Arc::new(session_builder),
            config_producer.clone(),
            BallistaCodec::default(),
        )
        .await
        .map_err(|e| Error::Cluster(e.to_string()))?;
        let url = format!("http://localhost:{}", scheduler.port());
        let client = connect_scheduler(&url).await?;
        for _ in 0..executors {
            let runtime = RuntimeEnvBuilder::new().build_arc()?;
            let runtime_producer: RuntimeProducer = Arc::new(move |_| Ok(runtime.clone()));
            ballista_executor::new_standalone_executor_from_builder(
                client.clone(),
                slots.max(1),
                config_producer.clone(),
                runtime_producer,
                BallistaCodec::default(),
                executor_registry()?,
            )
            .await
            .map_err(|e| Error::Cluster(e.to_string()))?;
        }
        Ok(Self {
            scheduler,
            executors,
        })
    }

    /// The scheduler's address for [`connect`]: `df://localhost:PORT`.
    pub fn url(&self) -> String {
        format!("df://localhost:{}", self.scheduler.port())
    }

    /// The number of executors started.
    pub fn executors(&self) -> usize {
        self.executors
    }
}

/// A gRPC client of the scheduler at `url`, retried while it starts.
async fn connect_scheduler(url: &str) -> Result<SchedulerGrpcClient<tonic::transport::Channel>> {
    let mut last = String::new();
    for _ in 0..100 {
        match SchedulerGrpcClient::connect(url.to_owned()).await {
            Ok(c) => return Ok(c),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(Error::Cluster(format!("scheduler at {url}: {last}")))
}
