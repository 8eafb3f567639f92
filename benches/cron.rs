//! `cargo bench --bench cron`: what one `next_after` costs for typical and pathological
//! expressions, and what refusing a bad expression costs. Plain std::time::Instant timing; each
//! figure is the best of five runs, to keep scheduler noise out.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use chrontainer::cron::CronExpr;

const RUNS: usize = 5;

fn best_of<F: FnMut()>(iterations: u32, mut f: F) -> Duration {
    f();
    (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..iterations {
                f();
            }
            started.elapsed() / iterations
        })
        .min()
        .unwrap_or_default()
}

fn show(what: &str, zone: &str, note: &str, per_call: Duration) {
    println!("| {what:<34} | {zone:<13} | {note:<30} | {:>10.2} µs |", per_call.as_secs_f64() * 1e6);
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let berlin: Tz = chrono_tz::Europe::Berlin;
    let utc: Tz = chrono_tz::UTC;
    let start: DateTime<Utc> = instant(2026, 1, 1, 0, 0)?;
    let long_list = (1..60).step_by(2).map(|m| m.to_string()).collect::<Vec<_>>().join(",") + " * * * *";

    println!("| {:<34} | {:<13} | {:<30} | {:>13} |", "expression", "zone", "measured", "per call");
    println!("|{:-<36}|{:-<15}|{:-<32}|{:-<15}|", "", "", "", "");

    // Typical: a chain of consecutive fire times, as the scheduler asks for them.
    for (text, tz, zone) in [
        ("0 3 * * 1-5", berlin, "Europe/Berlin"),
        ("*/5 * * * *", berlin, "Europe/Berlin"),
        ("*/30 * * * *", berlin, "Europe/Berlin"),
        ("30 2 * * *", berlin, "Europe/Berlin"),
        ("@every 30s", berlin, "Europe/Berlin"),
        ("0 3 * * 1-5", utc, "UTC"),
        ("*/15 * * * * *", utc, "UTC"),
    ] {
        let expr = CronExpr::parse(text)?;
        let mut t = start;
        let per_call = best_of(20_000, || {
            t = match expr.next_after(tz, black_box(t)) {
                Some(next) => next,
                None => start,
            };
        });
        show(text, zone, "next_after, chained", per_call);
    }

    // Pathological: each search from 2026-01-01 has a long way to go (or a big list to scan).
    for (text, note) in [
        ("0 0 29 2 1", "ORed: 29 Feb or Feb Mondays"),
        ("0 0 29 2 *", "29 Feb: every 4 years"),
        ("59 23 31 12 *", "once a year, last minute"),
        ("0 0 * 2 1#5", "5th Monday of Feb: 2044"),
        ("0 0 1-7 2 */7", "1st Sunday of Feb (AND)"),
        (long_list.as_str(), "30-item minute list"),
    ] {
        let expr = CronExpr::parse(text)?;
        let per_call = best_of(2_000, || {
            black_box(expr.next_after(berlin, black_box(start)));
        });
        show(&clip(text), "Europe/Berlin", note, per_call);
    }

    // Through the 2026 fall-back hour, where the repeated hour needs a bisection.
    let fall = instant(2026, 10, 25, 0, 10)?;
    for text in ["*/30 * * * *", "30 2 * * *", "0 2,3 * * *"] {
        let expr = CronExpr::parse(text)?;
        let per_call = best_of(5_000, || {
            black_box(expr.next_after(berlin, black_box(fall)));
        });
        show(text, "Europe/Berlin", "from inside the repeated hour", per_call);
    }
    let spring = instant(2026, 3, 29, 0, 45)?;
    let expr = CronExpr::parse("30 2 * * *")?;
    let per_call = best_of(5_000, || {
        black_box(expr.next_after(berlin, black_box(spring)));
    });
    show("30 2 * * *", "Europe/Berlin", "into the spring-forward gap", per_call);

    // Parsing, and refusing.
    let huge = "*".repeat(100_000);
    for (text, note) in [
        ("0 3 * * 1-5", "parse (valid)"),
        ("0 0 L * 5#3", "parse (valid, L/# date scan)"),
        ("0 24 * * *", "reject: out of range"),
        ("0 0 * * FUN", "reject: not a day name"),
        ("0 0 30 2 *", "reject: can never fire"),
        ("0 0 */30 2 1#5", "reject: never fires, L/# scan"),
        (huge.as_str(), "reject: 100 000 characters"),
    ] {
        let per_call = best_of(2_000, || {
            let _ = black_box(CronExpr::parse(black_box(text)));
        });
        show(&clip(text), "-", note, per_call);
    }
    Ok(())
}

fn instant(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Result<DateTime<Utc>, &'static str> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).single().ok_or("not a date")
}

fn clip(text: &str) -> String {
    if text.chars().count() > 34 {
        format!("{}…", text.chars().take(33).collect::<String>())
    } else {
        text.to_string()
    }
}
