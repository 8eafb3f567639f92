//! Short English descriptions for the preview ("At 03:00, Monday through Friday"). croner has a
//! describe() of its own, but it reads croner's semantics (day fields ORed unless literally `*`)
//! and words things awkwardly ("At on minute 0, ..."), so the description is built from our fields.

use super::field::{Field, Item, Special};

const MONTHS: [&str; 13] = [
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
/// Weeks read Monday to Sunday here, so that a weekend range such as FRI-SUN stays one run.
const WEEK_ORDER: [u8; 7] = [1, 2, 3, 4, 5, 6, 0];
const ALL_DAYS_OF_MONTH: u64 = 0xFFFF_FFFE;
const ALL_DAYS_OF_WEEK: u64 = 0x7F;
const ALL_MONTHS: u64 = 0x1FFE;

/// `@every`: "Every 30 seconds", "Every hour", "Every 1 hour and 30 minutes".
pub(super) fn every(secs: i64) -> String {
    let units = [(secs / 3600, "hour"), (secs % 3600 / 60, "minute"), (secs % 60, "second")];
    let parts: Vec<(i64, &str)> = units.into_iter().filter(|(n, _)| *n > 0).collect();
    match parts.as_slice() {
        [(1, unit)] => format!("Every {unit}"),
        _ => {
            let words: Vec<String> = parts.iter().map(|(n, unit)| plural(*n, unit)).collect();
            format!("Every {}", join(&words, "and"))
        }
    }
}

pub(super) fn fields(
    seconds: Option<&Field>,
    minute: &Field,
    hour: &Field,
    dom: &Field,
    month: &Field,
    dow: &Field,
    and_days: bool,
) -> String {
    let parts = [time(seconds, minute, hour), days(dom, dow, and_days), months(month)];
    let text = parts.into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(", ");
    capitalize(&text)
}

/// "February", "April and June".
pub(super) fn month_list(months: &[u8]) -> String {
    let names: Vec<String> = months.iter().map(|m| MONTHS[usize::from(*m)].to_string()).collect();
    join(&names, "and")
}

/// "30", "30 or 31".
pub(super) fn join_or(words: &[String]) -> String {
    join(words, "or")
}

fn time(seconds: Option<&Field>, minute: &Field, hour: &Field) -> String {
    let second = match seconds {
        None => Some(0),
        Some(s) => s.single(),
    };
    // Short lists of plain values read best as clock times: "At 09:00 and 17:30".
    if let (Some(ms), Some(hs)) = (plain_values(minute), plain_values(hour)) {
        if ms.len() * hs.len() <= 6 {
            let times = |s: u8| -> Vec<String> {
                hs.iter().flat_map(|h| ms.iter().map(move |m| clock(*h, *m, s))).collect()
            };
            return match (second, seconds) {
                (Some(s), _) => format!("at {}", join(&times(s), "and")),
                (None, Some(s)) => format!("{}, during {}", unit(s, "second"), join(&times(0), "and")),
                (None, None) => String::new(),
            };
        }
    }
    let minute_every =
        minute.is_all() || matches!(minute.items.as_slice(), [Item::Every(_)] | [Item::Range(_, _, 2..)]);
    let mut text = unit(minute, "minute");
    match hour.items.as_slice() {
        _ if hour.is_all() => {
            if !minute_every {
                text.push_str(" past every hour");
            }
        }
        [Item::Every(n)] => text.push_str(&format!(" past every {} hour", ordinal(*n))),
        [Item::Range(a, b, n @ 2..)] => {
            text.push_str(&format!(" past every {} hour from {a} through {b}", ordinal(*n)))
        }
        [Item::Value(h)] if minute_every => text.push_str(&format!(", between {h:02}:00 and {h:02}:59")),
        [Item::Value(h)] => text.push_str(&format!(" past hour {h}")),
        [Item::Range(a, b, 1)] if minute_every => {
            text.push_str(&format!(", between {a:02}:00 and {b:02}:59"))
        }
        [Item::Range(a, b, 1)] => text.push_str(&format!(" past every hour from {a} through {b}")),
        items => text.push_str(&format!(" past hours {}", list(items))),
    }
    match seconds {
        None => text,
        Some(s) if s.single() == Some(0) => text,
        Some(s) if minute.is_all() && hour.is_all() => {
            let seconds = unit(s, "second");
            if s.single().is_some() {
                format!("{seconds} of every minute")
            } else {
                seconds
            }
        }
        Some(s) => format!("{}, {text}", unit(s, "second")),
    }
}

/// "every minute", "every 5 minutes", "at minute 30", "at minutes 0, 15 and 30".
fn unit(field: &Field, name: &str) -> String {
    if field.is_all() {
        return format!("every {name}");
    }
    match field.items.as_slice() {
        [Item::Every(n)] => format!("every {}", plural(i64::from(*n), name)),
        [Item::Range(a, b, n @ 2..)] => {
            format!("every {} from {name} {a} through {b}", plural(i64::from(*n), name))
        }
        [Item::Value(v)] => format!("at {name} {v}"),
        items => format!("at {name}s {}", list(items)),
    }
}

fn days(dom: &Field, dow: &Field, and_days: bool) -> String {
    let dom_full = dom.bits == ALL_DAYS_OF_MONTH && dom.specials.is_empty();
    let dow_full = dow.bits == ALL_DAYS_OF_WEEK && dow.specials.is_empty();
    if and_days {
        match (dom_full, dow_full) {
            (true, true) => String::new(),
            (true, false) => weekdays_alone(dow),
            (false, true) => days_of_month(dom),
            (false, false) => {
                format!("{} if it falls on {}", days_of_month(dom), join(&weekday_parts(dow, ""), "or"))
            }
        }
    } else if dom_full || dow_full {
        // crond ORs the day fields here, so one field matching every day matches every day.
        String::new()
    } else {
        format!("{} and on {}", days_of_month(dom), join(&weekday_parts(dow, "every "), "and"))
    }
}

/// "on day 13 of the month", "on every 2nd day of the month", "on the last day of the month".
fn days_of_month(dom: &Field) -> String {
    let mut parts = Vec::new();
    let values: Vec<String> = dom
        .items
        .iter()
        .filter_map(|i| if let Item::Value(v) = i { Some(v.to_string()) } else { None })
        .collect();
    if !values.is_empty() {
        let word = if values.len() == 1 { "day" } else { "days" };
        parts.push(format!("{word} {}", join(&values, "and")));
    }
    for item in &dom.items {
        match item {
            Item::Value(_) => {}
            Item::Every(1) => parts.push("every day".into()),
            Item::Every(n) => parts.push(format!("every {} day", ordinal(*n))),
            Item::Range(a, b, 1) => parts.push(format!("days {a} through {b}")),
            Item::Range(a, b, n) => parts.push(format!("every {} day from {a} through {b}", ordinal(*n))),
        }
    }
    for special in &dom.specials {
        parts.push(match special {
            Special::LastDay => "the last day".into(),
            Special::LastWeekday => "the last weekday".into(),
            Special::NearestWeekday(d) => format!("the weekday nearest day {d}"),
            Special::LastOf(_) | Special::Nth(..) => continue,
        });
    }
    format!("on {} of the month", join(&parts, "and"))
}

/// The weekday field on its own: "Monday through Friday", "on Monday and Friday".
fn weekdays_alone(dow: &Field) -> String {
    let parts = weekday_parts(dow, "");
    match parts.as_slice() {
        [one] if one.contains(" through ") => one.clone(),
        _ => format!("on {}", join(&parts, "and")),
    }
}

/// Runs of three or more days as "Monday through Friday", other days by name, then `L` / `#`.
fn weekday_parts(dow: &Field, prefix: &str) -> Vec<String> {
    let set: Vec<bool> = WEEK_ORDER.iter().map(|d| dow.bits & (1 << d) != 0).collect();
    let mut parts = runs(&set, |i| DAYS[usize::from(WEEK_ORDER[i])])
        .into_iter()
        .map(|p| format!("{prefix}{p}"))
        .collect::<Vec<_>>();
    for special in &dow.specials {
        match special {
            Special::LastOf(d) => parts.push(format!("the last {} of the month", DAYS[usize::from(*d)])),
            Special::Nth(d, n) => {
                parts.push(format!("the {} {} of the month", ordinal(*n), DAYS[usize::from(*d)]))
            }
            _ => {}
        }
    }
    parts
}

fn months(month: &Field) -> String {
    if month.bits == ALL_MONTHS {
        return String::new();
    }
    let set: Vec<bool> = (1..=12).map(|m| month.bits & (1 << m) != 0).collect();
    let parts = runs(&set, |i| MONTHS[i + 1]);
    format!("in {}", join(&parts, "and"))
}

/// Names of the set positions, with runs of three or more written "A through B".
fn runs(set: &[bool], name: impl Fn(usize) -> &'static str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < set.len() {
        if !set[i] {
            i += 1;
            continue;
        }
        let start = i;
        while i + 1 < set.len() && set[i + 1] {
            i += 1;
        }
        if i - start >= 2 {
            parts.push(format!("{} through {}", name(start), name(i)));
        } else {
            parts.extend((start..=i).map(|j| name(j).to_string()));
        }
        i += 1;
    }
    parts
}

/// The values of a field made only of plain numbers, if it is one.
fn plain_values(field: &Field) -> Option<Vec<u8>> {
    if !field.specials.is_empty() {
        return None;
    }
    field.items.iter().map(|i| if let Item::Value(v) = i { Some(*v) } else { None }).collect()
}

fn list(items: &[Item]) -> String {
    let words: Vec<String> = items
        .iter()
        .map(|item| match item {
            Item::Value(v) => v.to_string(),
            Item::Range(a, b, 1) => format!("{a} through {b}"),
            Item::Range(a, b, n) => format!("every {} from {a} through {b}", ordinal(*n)),
            Item::Every(1) => "every one".into(),
            Item::Every(n) => format!("every {}", ordinal(*n)),
        })
        .collect();
    join(&words, "and")
}

fn clock(hour: u8, minute: u8, second: u8) -> String {
    if second == 0 {
        format!("{hour:02}:{minute:02}")
    } else {
        format!("{hour:02}:{minute:02}:{second:02}")
    }
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

fn ordinal(n: u8) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// "a", "a and b", "a, b and c".
fn join(words: &[String], conjunction: &str) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {conjunction} {last}", init.join(", ")),
    }
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
