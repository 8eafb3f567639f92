//! The dashboard's 14-day sparkline of one schedule: a bar per day as tall as its runs (against
//! the schedule's busiest day), coloured by its worst result, with a `<title>` per bar and one
//! sentence for screen readers. Drawn from `store::stats::schedule_days`, one query for all rows.

use serde::Serialize;

use crate::store::stats::DayCounts;

/// How many days a sparkline shows.
pub const DAYS: u32 = 14;
/// One slot per day in the drawing box, and the box's height.
const SLOT: usize = 4;
const HEIGHT: f64 = 16.0;

#[derive(Debug, Serialize)]
pub struct Sparkline {
    pub width: usize,
    /// "Last 14 days: 40 runs, 2 failed".
    pub label: String,
    bars: Vec<SparkBar>,
}

#[derive(Debug, Serialize)]
struct SparkBar {
    x: usize,
    y: String,
    height: String,
    class: &'static str,
    title: String,
}

/// The sparkline of `days` (oldest first).
pub fn sparkline(days: &[DayCounts]) -> Sparkline {
    let most = days.iter().map(DayCounts::total).max().unwrap_or(0).max(1);
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let total = d.total();
            // a day without runs is a flat line, so the row of days still reads as one
            let height = if total == 0 { 1.0 } else { (total as f64 / most as f64 * HEIGHT).max(3.0) };
            let class = match d {
                _ if total == 0 => "bar-none",
                DayCounts { error, .. } if *error > 0 => "bar-error",
                DayCounts { gave_up, .. } if *gave_up > 0 => "bar-gave-up",
                DayCounts { success, .. } if *success == total => "bar-success",
                DayCounts { skipped, .. } if *skipped > 0 => "bar-skipped",
                _ => "bar-missed",
            };
            SparkBar {
                x: i * SLOT,
                y: format!("{:.1}", HEIGHT - height),
                height: format!("{height:.1}"),
                class,
                title: format!("{}: {}", d.date, tally(d)),
            }
        })
        .collect();
    let sum = |f: fn(&DayCounts) -> i64| days.iter().map(f).sum::<i64>();
    let total = DayCounts {
        date: days.first().map(|d| d.date).unwrap_or_default(),
        success: sum(|d| d.success),
        error: sum(|d| d.error),
        skipped: sum(|d| d.skipped),
        missed: sum(|d| d.missed),
        gave_up: sum(|d| d.gave_up),
    };
    Sparkline {
        width: days.len() * SLOT,
        label: format!("Last {} days: {}", days.len(), tally(&total)),
        bars,
    }
}

/// "5 runs, 1 failed, 2 skipped" (only what there is), or "no runs".
fn tally(d: &DayCounts) -> String {
    let total = d.total();
    if total == 0 {
        return "no runs".into();
    }
    let mut parts = vec![if total == 1 { "1 run".to_string() } else { format!("{total} runs") }];
    for (n, word) in
        [(d.error, "failed"), (d.skipped, "skipped"), (d.missed, "missed"), (d.gave_up, "gave up")]
    {
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn day(d: u32, success: i64, error: i64, skipped: i64) -> DayCounts {
        DayCounts {
            date: NaiveDate::from_ymd_opt(2026, 1, d).unwrap(),
            success,
            error,
            skipped,
            ..Default::default()
        }
    }

    #[test]
    fn bars_scale_to_the_busiest_day_and_say_what_happened() {
        let s = sparkline(&[day(1, 0, 0, 0), day(2, 4, 0, 0), day(3, 1, 1, 0), day(4, 0, 0, 1)]);
        assert_eq!(s.width, 16);
        assert_eq!(s.label, "Last 4 days: 7 runs, 1 failed, 1 skipped");
        let view: Vec<(&str, &str, &str)> =
            s.bars.iter().map(|b| (b.class, b.height.as_str(), b.title.as_str())).collect();
        assert_eq!(
            view,
            vec![
                ("bar-none", "1.0", "2026-01-01: no runs"),
                ("bar-success", "16.0", "2026-01-02: 4 runs"),
                ("bar-error", "8.0", "2026-01-03: 2 runs, 1 failed"),
                ("bar-skipped", "4.0", "2026-01-04: 1 run, 1 skipped"),
            ]
        );
        assert_eq!((s.bars[1].y.as_str(), s.bars[2].x), ("0.0", 8));
    }
}
