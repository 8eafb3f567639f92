//! `chrontainer export` and `chrontainer import`: the JSON backup of `transfer`, read from and
//! written to the database in the data directory while the service is stopped (an import takes
//! the data directory's lock, so it cannot run beside the service). Rows are written without a
//! next run; the scheduler computes it when the service starts.

use std::io::Write;
use std::path::Path;

use chrono::Utc;

use super::transfer::{self, Mode, Report, Step};
use crate::config::Config;
use crate::domain::HostId;
use crate::error::AppError;
use crate::store::{self, db, Store};

/// Writes the backup document of the database in `config.data_dir` to `out`.
pub async fn export(config: &Config, out: &mut impl Write) -> Result<(), String> {
    let store = open(config)?;
    let rows = store::schedules::list(&store).await.map_err(|e| e.cause())?;
    let hosts = store::hosts::list(&store).await.map_err(|e| e.cause())?;
    let channels = store::channels::list(&store).await.map_err(|e| e.cause())?;
    let doc = transfer::export(&rows, &hosts, &channels, false, Utc::now());
    let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
    writeln!(out, "{text}").map_err(|e| e.to_string())
}

/// Restores the backup at `path`; answers what it did (or, with `dry_run`, would do).
pub async fn import(config: &Config, path: &Path, dry_run: bool, mode: Mode) -> Result<Report, String> {
    let _lock = db::lock_data_dir(&config.data_dir)?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    let doc = transfer::read(value).map_err(|e| e.to_string())?;
    let store = open(config)?;
    let rows = store::schedules::list(&store).await.map_err(|e| e.cause())?;
    let mut hosts: Vec<HostId> =
        store::hosts::list(&store).await.map_err(|e| e.cause())?.into_iter().map(|h| h.name).collect();
    if !hosts.contains(&HostId::local()) {
        hosts.push(HostId::local());
    }
    let (steps, mut report) = transfer::plan(&doc, &rows, &hosts, mode, Utc::now());
    report.dry_run = dry_run;
    if dry_run {
        return Ok(report);
    }
    for step in &steps {
        let done: Result<(), AppError> = match step {
            Step::Create(_, new) => store::schedules::insert(&store, new.clone()).await.map(drop),
            Step::Update(_, id, changes) => {
                store::schedules::update(&store, *id, changes.clone()).await.map(drop)
            }
            Step::Delete(_, id) => store::schedules::delete(&store, *id).await,
        };
        if let Err(e) = done {
            report.failed(step, &e);
        }
    }
    store::checkpoint(&store).await.map_err(|e| e.cause())?;
    Ok(report)
}

fn open(config: &Config) -> Result<Store, String> {
    let path = config.database_path();
    if !path.exists() {
        return Err(format!("there is no database at {} (is --data-dir right?)", path.display()));
    }
    Ok(Store::start(path))
}

/// The report for a person: one line per kind, then what was skipped and what failed, and why.
pub fn describe(report: &Report) -> String {
    let would = if report.dry_run { " (would be)" } else { "" };
    let mut out = format!(
        "{} created, {} updated, {} unchanged, {} removed, {} skipped, {} errors{}\n",
        report.created.len(),
        report.updated.len(),
        report.unchanged.len(),
        report.removed.len(),
        report.skipped.len(),
        report.errors.len(),
        if report.dry_run { " (dry run: nothing written)" } else { "" }
    );
    let name = |i: &transfer::Item| {
        let when = i.cron.clone().or_else(|| i.run_at.clone()).unwrap_or_default();
        format!("{} {} on {} at {when:?}", i.action, i.container, i.host)
    };
    for (what, list) in
        [("created", &report.created), ("updated", &report.updated), ("removed", &report.removed)]
    {
        for i in list {
            out.push_str(&format!("  {what}{would}: {}\n", name(i)));
        }
    }
    for s in &report.skipped {
        out.push_str(&format!("  skipped: {}: {}\n", name(&s.item), s.reason));
    }
    for s in &report.errors {
        out.push_str(&format!("  error: {}: {}\n", name(&s.item), s.reason));
    }
    out
}
