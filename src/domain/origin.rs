//! Where a schedule came from: made by a person (UI or API), or defined by container labels.

use std::str::FromStr;

use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Stored as its name (`store/columns.rs`).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    AsExpression,
    FromSqlRow,
    utoipa::ToSchema,
)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "lowercase")]
pub enum ScheduleOrigin {
    /// Made in the dashboard or through the API.
    #[default]
    Ui,
    /// Kept in step with `chrontainer.*` labels by the LabelActor.
    Label,
}

impl ScheduleOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            ScheduleOrigin::Ui => "ui",
            ScheduleOrigin::Label => "label",
        }
    }
}

impl FromStr for ScheduleOrigin {
    type Err = AppError;

    fn from_str(s: &str) -> Result<Self, AppError> {
        match s {
            "ui" => Ok(ScheduleOrigin::Ui),
            "label" => Ok(ScheduleOrigin::Label),
            other => Err(AppError::Internal(format!(
                "origin {:?} is not ui or label",
                crate::text::clip(other, 20)
            ))),
        }
    }
}
