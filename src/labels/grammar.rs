//! The parser: a container's labels in, [`Labels`] out. Never fails as a whole: each refused label
//! becomes a [`LabelError`] and the others still count.

use std::collections::BTreeMap;

use super::{
    quote, Job, JobSpec, LabelError, Labels, OnlyIf, Window, WindowState, MAX_KEY, MAX_LABELS, MAX_VALUE,
    PREFIX,
};
use crate::cron::{parse_timezone, CronExpr};
use crate::domain::Action;

/// A job's name in `chrontainer.job.<name>.*`: at most this many of `[A-Za-z0-9_-]`.
const MAX_JOB_NAME: usize = 32;
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A job as its labels are read, before it is checked to be whole.
#[derive(Default)]
struct Partial {
    /// The first key that named it, where an error about the whole job is reported.
    first_key: String,
    action: Option<Action>,
    cron: Option<String>,
    timezone: Option<String>,
    only_if: Option<OnlyIf>,
    /// One of its labels was refused: the job is not scheduled (half a job could act at the wrong time).
    broken: bool,
    /// `chrontainer.<action>.*` jobs have their action in the key.
    needs_action: bool,
}

/// Reads every `chrontainer.*` label of one container; `labels` are all of them (others ignored).
pub fn parse<'a>(labels: impl IntoIterator<Item = (&'a str, &'a str)>) -> Labels {
    let mut ours: Vec<(&str, &str)> = labels.into_iter().filter(|(k, _)| k.starts_with(PREFIX)).collect();
    ours.sort_unstable();
    let mut out = Labels::default();
    if ours.len() > MAX_LABELS {
        out.errors.push(LabelError {
            label: quote(ours[MAX_LABELS].0),
            problem: format!(
                "the container has more than {MAX_LABELS} chrontainer.* labels: the first {MAX_LABELS} by name \
                 are read, this one and those after it are not"
            ),
        });
        ours.truncate(MAX_LABELS);
    }
    let mut jobs: BTreeMap<String, Partial> = BTreeMap::new();
    for (key, value) in ours {
        if let Err(problem) = read(key, value, &mut out, &mut jobs) {
            out.errors.push(LabelError { label: quote(key), problem });
            if let Some(job) = job_id(key).and_then(|id| jobs.get_mut(&id)) {
                job.broken = true;
            }
            // a window label that is wrong now leaves its schedule as it is, as a job's typo does
            if let Some(state) = key.strip_prefix(PREFIX).and_then(|k| k.strip_prefix("window.")) {
                out.refused.push(format!("window.{}", quote(state)));
            }
        }
    }
    for (id, job) in jobs {
        match finish(&id, &job) {
            Ok(Some(spec)) => out.jobs.push(Job { id, spec }),
            Ok(None) => out.refused.push(id),
            Err(problem) => {
                out.errors.push(LabelError { label: quote(&job.first_key), problem });
                out.refused.push(id);
            }
        }
    }
    out.jobs.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// The job a key belongs to, if it names one: `restart` for `chrontainer.restart.schedule`,
/// `job.x` for `chrontainer.job.x.schedule`.
fn job_id(key: &str) -> Option<String> {
    let parts: Vec<&str> = key.strip_prefix(PREFIX)?.split('.').collect();
    match parts.as_slice() {
        ["job", name, _] => Some(format!("job.{name}")),
        [action, _] if action.parse::<Action>().is_ok() => Some((*action).to_string()),
        _ => None,
    }
}

fn read(
    key: &str,
    value: &str,
    out: &mut Labels,
    jobs: &mut BTreeMap<String, Partial>,
) -> Result<(), String> {
    if key.len() > MAX_KEY {
        return Err(format!("the key is {} bytes long, at most {MAX_KEY}", key.len()));
    }
    if key.chars().any(char::is_control) {
        return Err("the key contains a control character".into());
    }
    if value.len() > MAX_VALUE {
        return Err(format!("the value is {} bytes long, at most {MAX_VALUE}", value.len()));
    }
    if value.chars().any(char::is_control) {
        return Err("the value contains a control character (a NUL, a newline, …)".into());
    }
    let value = value.trim();
    let parts: Vec<&str> = key[PREFIX.len()..].split('.').collect();
    match parts.as_slice() {
        ["autoheal"] => out.autoheal = Some(boolean(value)?),
        ["notify"] => out.notify = Some(boolean(value)?),
        ["window", state] => {
            let window = window(state, value)?;
            out.jobs.push(window.job()?);
            out.windows.push(window);
        }
        ["job", name, field] => {
            job_name(name)?;
            let job = entry(jobs, format!("job.{name}"), key);
            job.needs_action = true;
            field_of(job, field, value, true)?;
        }
        [word, field @ ("schedule" | "timezone" | "only_if")] => {
            let action = word.parse::<Action>().map_err(|_| {
                format!(
                    "{:?} is not an action (one of {}); several jobs are chrontainer.job.<name>.*",
                    quote(word),
                    Action::ALL.map(Action::as_str).join(", ")
                )
            })?;
            let job = entry(jobs, action.as_str().to_string(), key);
            job.action = Some(action);
            field_of(job, field, value, false)?;
        }
        _ => {
            return Err("unknown key: the keys are chrontainer.<action>.schedule|timezone|only_if, \
                 chrontainer.job.<name>.action|schedule|timezone|only_if, chrontainer.window.stopped|paused, \
                 chrontainer.autoheal, chrontainer.notify"
                .into())
        }
    }
    Ok(())
}

fn entry<'j>(jobs: &'j mut BTreeMap<String, Partial>, id: String, key: &str) -> &'j mut Partial {
    jobs.entry(id).or_insert_with(|| Partial { first_key: key.to_string(), ..Partial::default() })
}

fn field_of(job: &mut Partial, field: &str, value: &str, named: bool) -> Result<(), String> {
    match field {
        "action" if named => job.action = Some(value.parse::<Action>().map_err(|e| e.to_string())?),
        "schedule" => {
            job.cron = Some(CronExpr::parse(value).map_err(|e| e.to_string())?.as_str().to_string())
        }
        "timezone" => {
            job.timezone = Some(parse_timezone(value).map_err(|e| e.to_string())?.name().to_string())
        }
        "only_if" => job.only_if = Some(only_if(value)?),
        _ => {
            let fields =
                if named { "action, schedule, timezone, only_if" } else { "schedule, timezone, only_if" };
            return Err(format!("{:?} is not a job field (one of {fields})", quote(field)));
        }
    }
    Ok(())
}

/// `Ok(None)` for a job with a refused label (already reported).
fn finish(id: &str, job: &Partial) -> Result<Option<JobSpec>, String> {
    if job.broken {
        return Ok(None);
    }
    let Some(cron) = job.cron.clone() else {
        return Err(format!("the job has no chrontainer.{id}.schedule label"));
    };
    let Some(action) = job.action else {
        debug_assert!(job.needs_action);
        return Err(format!("the job has no chrontainer.{id}.action label"));
    };
    Ok(Some(JobSpec { action, cron, timezone: job.timezone.clone(), only_if: job.only_if, window: None }))
}

fn job_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= MAX_JOB_NAME
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!("a job name is 1 to {MAX_JOB_NAME} letters, digits, '_' or '-'; not {:?}", quote(name)))
    }
}

/// Whether a container's `chrontainer.notify` value (if any) lets its notifications through: the
/// one reading of that label, for the NotifyActor's question and for `parse`. Only `false` (any
/// case, spaces around) silences; a bad value is reported by `parse` and silences nothing.
pub fn notify_allowed(value: Option<&str>) -> bool {
    value.is_none_or(|v| boolean(v.trim()) != Ok(false))
}

/// Whether a container's `chrontainer.autoheal` value opts it in to autoheal: the one reading of
/// that label, for the WatchActor. Only `true` (any case, spaces around) opts in; a bad value is
/// reported by `parse` and opts in nothing.
pub fn autoheal_wanted(value: Option<&str>) -> bool {
    value.is_some_and(|v| boolean(v.trim()) == Ok(true))
}

fn boolean(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("{:?} is not true or false", quote(value))),
    }
}

fn only_if(value: &str) -> Result<OnlyIf, String> {
    OnlyIf::ALL.into_iter().find(|o| o.as_str() == value).ok_or_else(|| {
        format!("only_if: {:?} is not one of running, stopped, healthy, unhealthy", quote(value))
    })
}

/// `<days> <from>-<to> [zone]`, e.g. `Mon-Fri 23:00-07:00 Europe/Berlin`.
fn window(state: &str, value: &str) -> Result<Window, String> {
    let state = match state {
        "stopped" => WindowState::Stopped,
        "paused" => WindowState::Paused,
        other => {
            return Err(format!("a window is chrontainer.window.stopped or .paused, not {:?}", quote(other)))
        }
    };
    let usage = "a window is <days> <from>-<to> [zone], e.g. Mon-Fri 23:00-07:00 Europe/Berlin";
    let words: Vec<&str> = value.split_whitespace().collect();
    let (days, range, zone) = match words.as_slice() {
        [days, range] => (*days, *range, None),
        [days, range, zone] => (*days, *range, Some(*zone)),
        _ => return Err(usage.into()),
    };
    check_days(days)?;
    let (from, to) = range.split_once('-').ok_or_else(|| usage.to_string())?;
    check_time(from)?;
    check_time(to)?;
    if from == to {
        return Err(format!("the window {from}-{to} is empty: from and to are the same time"));
    }
    let timezone = zone.map(|z| parse_timezone(z).map(|tz| tz.name().to_string())).transpose();
    Ok(Window {
        state,
        days: days.to_string(),
        from: from.to_string(),
        to: to.to_string(),
        timezone: timezone.map_err(|e| e.to_string())?,
    })
}

/// `*`, or days and ranges of days: `Mon-Fri`, `Sat,Sun`, `Mon,Wed-Fri`.
fn check_days(days: &str) -> Result<(), String> {
    if days == "*" {
        return Ok(());
    }
    let day = |d: &str| {
        DAYS.iter().position(|n| n.eq_ignore_ascii_case(d)).ok_or_else(|| {
            format!(
                "{:?} is not a day: use Mon, Tue, Wed, Thu, Fri, Sat, Sun, ranges (Mon-Fri) or *",
                quote(d)
            )
        })
    };
    for part in days.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                day(a)?;
                day(b)?;
            }
            None => {
                day(part)?;
            }
        }
    }
    Ok(())
}

/// `HH:MM` or `HH:MM:SS`, on a 24-hour clock.
fn check_time(t: &str) -> Result<(), String> {
    let parts: Vec<&str> = t.split(':').collect();
    let limits: &[u32] = match parts.len() {
        2 => &[23, 59],
        3 => &[23, 59, 59],
        _ => return Err(format!("{:?} is not a time HH:MM (24-hour clock)", quote(t))),
    };
    for (part, max) in parts.iter().zip(limits) {
        let ok = part.len() == 2 && part.parse::<u32>().is_ok_and(|n| n <= *max);
        if !ok {
            return Err(format!("{:?} is not a time HH:MM (24-hour clock)", quote(t)));
        }
    }
    Ok(())
}
