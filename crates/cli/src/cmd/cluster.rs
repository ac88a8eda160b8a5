//! `chartlens cluster`: Ballista's scheduler and executors with chartlens's
//! table codec, so that `--cluster` runs the same plans elsewhere.

use chartlens_cluster::{ClusterUrl, ExecutorOptions, Scheduler, SchedulerOptions};

use crate::args::{ClusterCommand, ExecutorArgs, LocalClusterArgs, SchedulerArgs};

pub async fn run(command: &ClusterCommand) -> anyhow::Result<u8> {
    chartlens_cluster::init_log();
    match command {
        ClusterCommand::Scheduler(args) => scheduler(args).await,
        ClusterCommand::Executor(args) => executor(args).await,
        ClusterCommand::Local(args) => local(args).await,
    }
}

async fn scheduler(args: &SchedulerArgs) -> anyhow::Result<u8> {
    let scheduler = Scheduler::bind(&SchedulerOptions {
        bind: args.bind,
        external_host: args.external_host.clone(),
        executor_timeout: std::time::Duration::from_secs(args.executor_timeout),
    })
    .await?;
    let addr = scheduler.local_addr();
    println!("chartlens cluster: scheduler listening on {addr}; clients use --cluster df://{addr}");
    scheduler
        .serve(chartlens_cluster::shutdown_signal())
        .await?;
    println!("chartlens cluster: scheduler on {addr} stopped");
    Ok(crate::exit::OK)
}

async fn executor(args: &ExecutorArgs) -> anyhow::Result<u8> {
    let scheduler = ClusterUrl::parse(&args.scheduler)?;
    println!(
        "chartlens cluster: executor on {host}:{} (Flight) and {host}:{} (tasks), working for {}",
        args.port,
        args.grpc_port,
        scheduler.given,
        host = args.external_host.as_deref().unwrap_or(&args.bind_host),
    );
    chartlens_cluster::run_executor(ExecutorOptions {
        scheduler,
        bind_host: args.bind_host.clone(),
        external_host: args.external_host.clone(),
        flight_port: args.port,
        grpc_port: args.grpc_port,
        vcores: args.concurrent_tasks,
        work_dir: args.work_dir.clone(),
    })
    .await?;
    println!("chartlens cluster: executor on port {} stopped", args.port);
    Ok(crate::exit::OK)
}

async fn local(args: &LocalClusterArgs) -> anyhow::Result<u8> {
    let scheduler = Scheduler::bind(&SchedulerOptions {
        bind: args.bind,
        external_host: None,
        executor_timeout: std::time::Duration::from_secs(30),
    })
    .await?;
    let addr = scheduler.local_addr();
    let url = ClusterUrl::parse(&format!("df://{addr}"))?;
    let served = tokio::spawn(scheduler.serve(chartlens_cluster::shutdown_signal()));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let vcores = args
        .concurrent_tasks
        .unwrap_or_else(|| (cores / usize::from(args.executors)).max(1));
    let host = addr.ip().to_string();
    let mut executors = Vec::new();
    for _ in 0..args.executors {
        let options = ExecutorOptions {
            scheduler: url.clone(),
            bind_host: host.clone(),
            external_host: None,
            flight_port: chartlens_cluster::free_port(&host)?,
            grpc_port: chartlens_cluster::free_port(&host)?,
            vcores: Some(vcores),
            work_dir: None,
        };
        println!(
            "chartlens cluster: executor on {host}:{} (Flight) and {host}:{} (tasks), {vcores} tasks at once",
            options.flight_port, options.grpc_port
        );
        executors.push(tokio::spawn(chartlens_cluster::run_executor(options)));
    }
    println!(
        "chartlens cluster: scheduler listening on {addr} with {} executors; clients use --cluster {}",
        args.executors, url.given
    );
    for executor in executors {
        executor.await??;
    }
    served.await??;
    println!("chartlens cluster: stopped");
    Ok(crate::exit::OK)
}
