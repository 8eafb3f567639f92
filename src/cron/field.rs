//! One field of a five- or six-field expression. It is parsed here rather than by croner so that
//! every error names the field and says what is wrong in words a user understands, and so that
//! crond's readings (7 and 0 both Sunday, `x-0` and `FRI-SUN` ranges, the `*` prefix) are fixed
//! before croner sees the field. croner then gets a plain numeric rendering it cannot misread.

use crate::text::clip;

/// A field holds at most this many comma-separated items: a minute list of all 60 minutes still
/// fits, and nothing longer can make parsing or matching expensive.
pub(super) const MAX_LIST_ITEMS: usize = 64;

/// Echoed user text in messages is cut to this many characters.
const ECHO: usize = 24;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Second,
    Minute,
    Hour,
    DayOfMonth,
    Month,
    DayOfWeek,
}

impl Kind {
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Second => "second",
            Kind::Minute => "minute",
            Kind::Hour => "hour",
            Kind::DayOfMonth => "day-of-month",
            Kind::Month => "month",
            Kind::DayOfWeek => "day-of-week",
        }
    }

    /// The values a user may type; day-of-week allows 7 as a second Sunday.
    fn bounds(self) -> (u8, u8) {
        match self {
            Kind::Second | Kind::Minute => (0, 59),
            Kind::Hour => (0, 23),
            Kind::DayOfMonth => (1, 31),
            Kind::Month => (1, 12),
            Kind::DayOfWeek => (0, 7),
        }
    }

    fn names(self) -> Option<&'static [&'static str]> {
        match self {
            Kind::Month => Some(&MONTH_NAMES),
            Kind::DayOfWeek => Some(&DAY_NAMES),
            _ => None,
        }
    }
}

/// Index = value (months from 1, hence the blank).
const MONTH_NAMES: [&str; 13] =
    ["", "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// One comma-separated item as typed, kept for the description.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Item {
    /// `*` (step 1) or `*/n`.
    Every(u8),
    Value(u8),
    /// `a-b` (step 1) or `a-b/n`, with the numbers as typed (day-of-week may end at 7).
    Range(u8, u8, u8),
}

/// The optional `L`, `W` and `#` extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Special {
    /// Day-of-month `L`.
    LastDay,
    /// Day-of-month `LW`.
    LastWeekday,
    /// Day-of-month `15W`: the weekday nearest the 15th, within the month.
    NearestWeekday(u8),
    /// Day-of-week `5L`: the last Friday of the month (weekday 0-6).
    LastOf(u8),
    /// Day-of-week `1#2`: the second Monday of the month (weekday 0-6, n 1-5).
    Nth(u8, u8),
}

#[derive(Clone, Debug)]
pub(super) struct Field {
    pub kind: Kind,
    /// The text starts with `*`: crond's DOM_STAR / DOW_STAR / HR_STAR / MIN_STAR flags.
    pub star: bool,
    /// Bit n set = value n matches; day-of-week is folded to 0-6.
    pub bits: u64,
    pub items: Vec<Item>,
    pub specials: Vec<Special>,
}

impl Field {
    pub(super) fn parse(kind: Kind, text: &str) -> Result<Field, String> {
        let name = kind.name();
        let parts: Vec<&str> = text.split(',').collect();
        if parts.len() > MAX_LIST_ITEMS {
            return Err(format!("{name}: too many list items (at most {MAX_LIST_ITEMS})"));
        }
        let mut field =
            Field { kind, star: text.starts_with('*'), bits: 0, items: Vec::new(), specials: Vec::new() };
        for part in parts {
            if part.is_empty() {
                return Err(format!("{name}: empty list item in \"{}\"", clip(text, ECHO)));
            }
            field.parse_item(part)?;
        }
        if kind == Kind::DayOfWeek && field.bits & (1 << 7) != 0 {
            field.bits = (field.bits & !(1 << 7)) | 1;
        }
        Ok(field)
    }

    fn parse_item(&mut self, item: &str) -> Result<(), String> {
        let name = self.kind.name();
        let (min, max) = self.kind.bounds();
        if item == "?" {
            return Err(format!("{name}: \"?\" is not cron syntax; use *"));
        }
        if let Some(special) = self.parse_special(item)? {
            self.specials.push(special);
            return Ok(());
        }
        let (base, step) = match item.split_once('/') {
            Some((base, step)) => (base, Some(self.step(step)?)),
            None => (item, None),
        };
        if base == "*" {
            let step = step.unwrap_or(1);
            self.set_range(min, max, step);
            self.items.push(Item::Every(step));
            return Ok(());
        }
        if let Some((a, b)) = base.split_once('-') {
            let start = self.value(a)?;
            let mut end = self.value(b)?;
            // crond reads a day-of-week range ending in Sunday as running to the end of the week.
            if self.kind == Kind::DayOfWeek && end == 0 && start > 0 {
                end = 7;
            }
            if start > end {
                return Err(self.backwards(item, a, b));
            }
            let step = step.unwrap_or(1);
            self.set_range(start, end, step);
            self.items.push(Item::Range(start, end, step));
            return Ok(());
        }
        if step.is_some() {
            return Err(format!(
                "{name}: \"{}\" has a step but no range; write */n or a-b/n (e.g. {min}-{max}/{})",
                clip(item, ECHO),
                step.unwrap_or(1)
            ));
        }
        let value = self.value(base)?;
        self.set_range(value, value, 1);
        self.items.push(Item::Value(value));
        Ok(())
    }

    fn backwards(&self, item: &str, a: &str, b: &str) -> String {
        let name = self.kind.name();
        let (min, max) = self.kind.bounds();
        let numeric = a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit());
        if numeric && self.kind != Kind::DayOfMonth {
            format!("{name}: range {item} runs backwards; to wrap around write {a}-{max},{min}-{b}")
        } else {
            format!("{name}: range \"{}\" runs backwards", clip(item, ECHO))
        }
    }

    /// `L`, `LW`, `15W` in day-of-month; `5L`, `FRI#L`, `1#2` in day-of-week.
    fn parse_special(&self, item: &str) -> Result<Option<Special>, String> {
        let name = self.kind.name();
        match self.kind {
            Kind::DayOfMonth => {
                if item.eq_ignore_ascii_case("L") {
                    return Ok(Some(Special::LastDay));
                }
                if item.eq_ignore_ascii_case("LW") {
                    return Ok(Some(Special::LastWeekday));
                }
                if let Some(day) = item.strip_suffix(['W', 'w']) {
                    if day.is_empty() || !day.bytes().all(|c| c.is_ascii_digit()) {
                        return Err(format!(
                            "{name}: \"{}\" is not a day of the month (W needs one, e.g. 15W)",
                            clip(item, ECHO)
                        ));
                    }
                    return Ok(Some(Special::NearestWeekday(self.value(day)?)));
                }
                Ok(None)
            }
            Kind::DayOfWeek => {
                if item.eq_ignore_ascii_case("L") {
                    return Err(format!(
                        "{name}: \"L\" needs a day, e.g. 5L for the last Friday of the month"
                    ));
                }
                if let Some((day, nth)) = item.split_once('#') {
                    let day = self.value(day)? % 7;
                    if nth.eq_ignore_ascii_case("L") {
                        return Ok(Some(Special::LastOf(day)));
                    }
                    return match nth.parse::<u8>() {
                        Ok(n @ 1..=5) if nth.len() == 1 => Ok(Some(Special::Nth(day, n))),
                        _ => Err(format!(
                            "{name}: \"{}\" needs an occurrence from 1 to 5 after #, e.g. 1#2 for the second Monday",
                            clip(item, ECHO)
                        )),
                    };
                }
                // No day name ends in L, so a trailing L is always the "last" modifier.
                if let Some(day) = item.strip_suffix(['L', 'l']) {
                    if !item.contains(['-', '/', '*']) {
                        return Ok(Some(Special::LastOf(self.value(day)? % 7)));
                    }
                }
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    fn step(&self, text: &str) -> Result<u8, String> {
        let name = self.kind.name();
        let (min, max) = self.kind.bounds();
        // A day-of-week step counts over the seven days, not over 0-7.
        let span = if self.kind == Kind::DayOfWeek { 7 } else { max - min + 1 };
        if text.is_empty() || !text.bytes().all(|c| c.is_ascii_digit()) {
            return Err(format!("{name}: step \"{}\" is not a number", clip(text, ECHO)));
        }
        match text.parse::<u32>() {
            Ok(n) if (1..=u32::from(span)).contains(&n) => Ok(n as u8),
            _ => Err(format!("{name}: step {} is out of range 1-{span}", clip(text, ECHO))),
        }
    }

    fn value(&self, text: &str) -> Result<u8, String> {
        let name = self.kind.name();
        let (min, max) = self.kind.bounds();
        if text.is_empty() {
            return Err(format!("{name}: a number is missing"));
        }
        if text.bytes().all(|c| c.is_ascii_digit()) {
            return match text.parse::<u32>() {
                Ok(n) if (u32::from(min)..=u32::from(max)).contains(&n) => Ok(n as u8),
                _ => Err(format!("{name}: {} is out of range {min}-{max}", clip(text, ECHO))),
            };
        }
        match self.kind.names() {
            Some(names) => match names.iter().position(|n| !n.is_empty() && n.eq_ignore_ascii_case(text)) {
                Some(i) => Ok(i as u8),
                None => {
                    let what = if self.kind == Kind::Month { "a month name" } else { "a day name" };
                    Err(format!("{name}: \"{}\" is not {what}", clip(text, ECHO)))
                }
            },
            None => Err(format!("{name}: \"{}\" is not a number", clip(text, ECHO))),
        }
    }

    fn set_range(&mut self, start: u8, end: u8, step: u8) {
        let mut v = start;
        while v <= end {
            self.bits |= 1 << v;
            match v.checked_add(step) {
                Some(next) => v = next,
                None => break,
            }
        }
    }

    pub(super) fn values(&self) -> impl Iterator<Item = u8> + '_ {
        (0..64u8).filter(move |v| self.bits & (1u64 << v) != 0)
    }

    pub(super) fn single(&self) -> Option<u8> {
        match self.items.as_slice() {
            [Item::Value(v)] if self.specials.is_empty() => Some(*v),
            _ => None,
        }
    }

    /// `*` or `*/1`: every value.
    pub(super) fn is_all(&self) -> bool {
        self.items.as_slice() == [Item::Every(1)] && self.specials.is_empty()
    }

    /// The numeric form croner reads. Day fields are never rendered as `*`, because croner gives
    /// a literal `*` its own day-matching rule; the AND/OR choice is made by the caller instead.
    pub(super) fn croner_text(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let day_field = matches!(self.kind, Kind::DayOfMonth | Kind::DayOfWeek);
        if self.is_all() && !day_field {
            return "*".into();
        }
        parts.extend(self.values().map(|v| v.to_string()));
        for special in &self.specials {
            parts.push(match special {
                Special::LastDay => "L".into(),
                Special::LastWeekday => "LW".into(),
                Special::NearestWeekday(d) => format!("{d}W"),
                Special::LastOf(d) => format!("{d}#L"),
                Special::Nth(d, n) => format!("{d}#{n}"),
            });
        }
        parts.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(kind: Kind, text: &str) -> Vec<u8> {
        Field::parse(kind, text).unwrap().values().collect()
    }

    #[test]
    fn day_of_week_sunday_is_0_and_7() {
        assert_eq!(bits(Kind::DayOfWeek, "7"), vec![0]);
        assert_eq!(bits(Kind::DayOfWeek, "0"), vec![0]);
        assert_eq!(bits(Kind::DayOfWeek, "5-7"), vec![0, 5, 6]);
        assert_eq!(bits(Kind::DayOfWeek, "5-0"), vec![0, 5, 6]);
        assert_eq!(bits(Kind::DayOfWeek, "fri-sun"), vec![0, 5, 6]);
        assert_eq!(bits(Kind::DayOfWeek, "MON-SUN"), vec![0, 1, 2, 3, 4, 5, 6]);
        assert_eq!(bits(Kind::DayOfWeek, "*/2"), vec![0, 2, 4, 6]);
        assert_eq!(bits(Kind::DayOfWeek, "1-5"), vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn steps_and_lists() {
        assert_eq!(bits(Kind::Minute, "*/20"), vec![0, 20, 40]);
        assert_eq!(bits(Kind::Minute, "10-30/10,59"), vec![10, 20, 30, 59]);
        assert_eq!(bits(Kind::Month, "jan,Jul-aug"), vec![1, 7, 8]);
        assert_eq!(bits(Kind::DayOfMonth, "*/10"), vec![1, 11, 21, 31]);
    }

    #[test]
    fn croner_text_is_numeric() {
        assert_eq!(Field::parse(Kind::DayOfWeek, "FRI-SUN").unwrap().croner_text(), "0,5,6");
        assert_eq!(Field::parse(Kind::DayOfWeek, "*").unwrap().croner_text(), "0,1,2,3,4,5,6");
        assert_eq!(Field::parse(Kind::Hour, "*").unwrap().croner_text(), "*");
        assert_eq!(Field::parse(Kind::DayOfMonth, "1,l,15w,lw").unwrap().croner_text(), "1,L,15W,LW");
        assert_eq!(Field::parse(Kind::DayOfWeek, "fri#l,7#2,5l").unwrap().croner_text(), "5#L,0#2,5#L");
    }
}
