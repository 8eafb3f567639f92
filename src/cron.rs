//! PLACEHOLDER so the crate compiles until the cron-dialect work lands (whoever writes the real
//! module replaces this whole file).
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::error::AppError;

#[derive(Clone, Debug)]
pub struct CronExpr {
    text: String,
    inner: croner::Cron,
}

impl CronExpr {
    pub fn parse(expr: &str) -> Result<CronExpr, AppError> {
        let inner = croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Optional)
            .build()
            .parse(expr.trim())
            .map_err(|e| AppError::invalid("invalid_cron", Some("cron"), e.to_string()))?;
        Ok(CronExpr { text: expr.trim().to_string(), inner })
    }
    pub fn as_str(&self) -> &str {
        &self.text
    }
    pub fn next_after(&self, tz: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.inner.find_next_occurrence(&after.with_timezone(&tz), false).ok().map(|t| t.with_timezone(&Utc))
    }
    pub fn describe(&self) -> String {
        self.text.clone()
    }
    pub fn has_seconds(&self) -> bool {
        self.text.split_whitespace().count() == 6
    }
}

pub fn parse_timezone(name: &str) -> Result<Tz, AppError> {
    name.parse::<Tz>().map_err(|_| {
        AppError::invalid(
            "invalid_timezone",
            Some("timezone"),
            format!("timezone: {:?} is not an IANA time zone (e.g. Europe/Berlin)", crate::text::clip(name, 60)),
        )
    })
}
