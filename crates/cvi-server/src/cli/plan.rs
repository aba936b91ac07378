//! `cvi plan`: the Plan step's capacity planner, offline (cvi-core's Erlang B).

use clap::Args;
use cvi_core::plan::{plan, PlanInput, DEFAULT_BLOCKING, DEFAULT_PORTS_PER_VM};

use super::CliError;

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Meetings with a video room system per day.
    #[arg(long)]
    meetings_per_day: f64,
    /// Their average length in minutes.
    #[arg(long)]
    avg_minutes: f64,
    /// The share of a day's meetings in its busiest hour, 0 to 1 (e.g. 0.15).
    #[arg(long)]
    peak_hour_share: f64,
    /// The share of calls that may find every port busy, between 0 and 1.
    #[arg(long, default_value_t = DEFAULT_BLOCKING)]
    blocking: f64,
    /// Gateway ports one VM serves.
    #[arg(long, default_value_t = DEFAULT_PORTS_PER_VM)]
    ports_per_vm: u32,
}

pub fn run(a: PlanArgs, json: bool) -> Result<(), CliError> {
    let p = plan(&PlanInput {
        meetings_per_day: a.meetings_per_day,
        avg_minutes: a.avg_minutes,
        peak_hour_share: a.peak_hour_share,
        blocking: a.blocking,
        ports_per_vm: a.ports_per_vm,
    })
    .map_err(|e| CliError::Input(e.to_string()))?;
    if json {
        let out = serde_json::to_string_pretty(&p).map_err(|e| CliError::Failure(e.to_string()))?;
        println!("{out}");
    } else {
        println!("peak-hour traffic  {:.2} Erlangs", p.erlangs);
        println!(
            "concurrent calls   {} (at most {}% of calls find every port busy)",
            p.concurrent_calls,
            a.blocking * 100.0
        );
        println!("ports / licences   {}", p.ports);
        println!(
            "gateway VMs        {} ({} ports each)",
            p.gateway_vms, a.ports_per_vm
        );
    }
    Ok(())
}
