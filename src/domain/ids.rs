//! Typed identifiers, so that a schedule's id can never be passed where a user's is meant.

use std::fmt;

use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::{Integer, Text};
use serde::{Deserialize, Serialize};

/// A Docker host, named by its `name` (`local` is the one from `DOCKER_HOST`). Targets name their
/// host rather than holding a connection, so they can be stored and resolved when they run.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    AsExpression,
    FromSqlRow,
)]
#[diesel(sql_type = Text)]
#[serde(transparent)]
pub struct HostId(pub String);

impl HostId {
    /// The name of the host from `DOCKER_HOST`, created at first start.
    pub const LOCAL: &'static str = "local";

    pub fn local() -> HostId {
        HostId(Self::LOCAL.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HostId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! integer_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema, AsExpression, FromSqlRow,
        )]
        #[diesel(sql_type = Integer)]
        #[serde(transparent)]
        pub struct $name(pub i32);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

integer_id!(
    /// A row of `schedules`.
    ScheduleId
);
integer_id!(
    /// A row of `users`.
    UserId
);
