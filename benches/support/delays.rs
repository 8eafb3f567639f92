//! Delays in nanoseconds, summed up the way every timer benchmark prints them.

/// "N … median X p99 Y max Z" for `delays` (nanoseconds), `what` naming what was counted.
pub fn summary(mut delays: Vec<i64>, what: &str) -> String {
    assert!(!delays.is_empty(), "no {what} were seen");
    delays.sort_unstable();
    let ms = |ns: i64| format!("{:.2} ms", ns as f64 / 1e6);
    let p99 = delays[(delays.len() * 99).div_ceil(100) - 1];
    format!(
        "{:>4} {what}  median {:>9}  p99 {:>9}  max {:>9}",
        delays.len(),
        ms(delays[delays.len() / 2]),
        ms(p99),
        ms(delays[delays.len() - 1])
    )
}
