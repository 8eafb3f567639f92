//! Times on the wire are RFC 3339 in UTC with `Z`; in SQLite they are naive UTC timestamps.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

/// `2026-01-05T03:00:00Z`; milliseconds only when there are some.
pub fn rfc3339(t: &DateTime<Utc>) -> String {
    if t.timestamp_subsec_millis() == 0 {
        t.to_rfc3339_opts(SecondsFormat::Secs, true)
    } else {
        t.to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

pub fn to_utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// Serde helpers for `DateTime<Utc>` fields in API answers.
pub mod serde_utc {
    use chrono::{DateTime, Utc};
    use serde::Serializer;

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::rfc3339(t))
    }

    pub mod option {
        use chrono::{DateTime, Utc};
        use serde::Serializer;

        pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_str(&super::super::rfc3339(t)),
                None => s.serialize_none(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn formats_with_z_and_seconds() {
        let t = Utc.with_ymd_and_hms(2026, 1, 5, 3, 0, 0).unwrap();
        assert_eq!(rfc3339(&t), "2026-01-05T03:00:00Z");
        let t = t + chrono::Duration::milliseconds(250);
        assert_eq!(rfc3339(&t), "2026-01-05T03:00:00.250Z");
    }
}
