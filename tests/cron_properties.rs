//! The cron parser, fuzzed with generated expressions for a bounded number of cases: it never
//! panics or hangs, and every accepted expression yields strictly increasing fire times.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use chrontainer::cron::CronExpr;
use proptest::prelude::*;

const ZONES: [Tz; 6] = [
    chrono_tz::UTC,
    chrono_tz::Europe::Berlin,
    chrono_tz::America::New_York,
    chrono_tz::Australia::Lord_Howe, // a 30-minute daylight-saving shift
    chrono_tz::Asia::Kathmandu,      // a +05:45 offset
    chrono_tz::America::Santiago,    // transitions at midnight
];

/// One field: mostly plausible pieces of cron syntax, sometimes junk.
fn field() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        Just("*".to_string()),
        (0u32..70).prop_map(|n| n.to_string()),
        (0u32..70, 0u32..70).prop_map(|(a, b)| format!("{a}-{b}")),
        (1u32..70).prop_map(|n| format!("*/{n}")),
        (0u32..70, 0u32..70, 0u32..30).prop_map(|(a, b, s)| format!("{a}-{b}/{s}")),
        prop::sample::select(vec!["MON", "fri-sun", "JAN", "dec", "L", "5L", "1#3", "15W", "?", "SUN-SAT"])
            .prop_map(str::to_string),
        "[ -~]{0,6}",
    ];
    prop::collection::vec(atom, 1..4).prop_map(|parts| parts.join(","))
}

fn expression() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(field(), 5..=5).prop_map(|f| f.join(" ")),
        2 => prop::collection::vec(field(), 6..=6).prop_map(|f| f.join(" ")),
        1 => prop::collection::vec(field(), 0..9).prop_map(|f| f.join(" ")),
        1 => prop::sample::select(vec!["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly", "@reboot", "@every"])
            .prop_map(str::to_string),
        1 => (1u64..100_000, prop::sample::select(vec!["s", "m", "h", "ms", "d", ""]))
            .prop_map(|(n, unit)| format!("@every {n}{unit}")),
        1 => "\\PC{0,40}",
    ]
}

fn start() -> impl Strategy<Value = DateTime<Utc>> {
    // 2000 to 2040: covers leap years and many daylight-saving rule changes
    (946_684_800i64..2_208_988_800).prop_map(|s| Utc.timestamp_opt(s, 0).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, timeout: 5000, ..ProptestConfig::default() })]

    #[test]
    fn accepted_expressions_fire_strictly_later_each_time(
        expr in expression(),
        zone in prop::sample::select(ZONES.to_vec()),
        from in start(),
    ) {
        if let Ok(cron) = CronExpr::parse(&expr) {
            let mut t = from;
            for _ in 0..12 {
                match cron.next_after(zone, t) {
                    Some(next) => {
                        prop_assert!(next > t, "{expr:?} in {zone}: {next} is not after {t}");
                        t = next;
                    }
                    None => break,
                }
            }
        }
    }

    #[test]
    fn any_input_is_answered_without_panic(expr in "\\PC{0,300}") {
        let _ = CronExpr::parse(&expr);
    }
}

/// The property above holds only for what the parser accepts: this keeps it from passing
/// vacuously, should the generator ever produce (almost) nothing but rejected input.
#[test]
fn the_generator_produces_enough_accepted_expressions() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = expression();
    let total = 3000;
    let accepted = (0..total)
        .filter(|_| {
            let text = strategy.new_tree(&mut runner).expect("a generated expression").current();
            CronExpr::parse(&text).is_ok()
        })
        .count();
    assert!(accepted >= total / 10, "only {accepted} of {total} generated expressions were accepted");
}
