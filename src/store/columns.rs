//! How the shared words are stored: enums as their names, ids as their integers. Reading a word
//! the code does not know is an error (the columns hold only what the code wrote, checked by
//! constraints where SQLite allows), never a silent default.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{Integer, Text};
use diesel::sqlite::Sqlite;

use crate::auth::{Origin, Role};
use crate::domain::{Action, HostId, OnlyIf, RunStatus, ScheduleId, Trigger, UserId, Window, WindowJson};
use crate::error::AppError;

/// Text columns holding one of an enum's names.
macro_rules! named_column {
    ($ty:ty, $name:expr, $parse:expr) => {
        impl ToSql<Text, Sqlite> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                let name: &'static str = $name(*self);
                out.set_value(name);
                Ok(IsNull::No)
            }
        }

        impl FromSql<Text, Sqlite> for $ty {
            fn from_sql(bytes: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                let text = <String as FromSql<Text, Sqlite>>::from_sql(bytes)?;
                let parsed: Result<$ty, AppError> = $parse(text.as_str());
                parsed.map_err(|e| format!("{} in the database: {e}", stringify!($ty)).into())
            }
        }
    };
}

named_column!(Action, Action::as_str, str::parse);
named_column!(Trigger, Trigger::as_str, str::parse);
named_column!(RunStatus, RunStatus::as_str, str::parse);
named_column!(Role, Role::as_str, Role::parse_user_role);
named_column!(OnlyIf, OnlyIf::as_str, str::parse);
named_column!(Origin, Origin::as_str, Origin::parse);

/// Integer columns holding a typed id.
macro_rules! id_column {
    ($ty:ident) => {
        impl ToSql<Integer, Sqlite> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                <i32 as ToSql<Integer, Sqlite>>::to_sql(&self.0, out)
            }
        }

        impl FromSql<Integer, Sqlite> for $ty {
            fn from_sql(bytes: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                <i32 as FromSql<Integer, Sqlite>>::from_sql(bytes).map($ty)
            }
        }
    };
}

id_column!(ScheduleId);
id_column!(UserId);

impl ToSql<Text, Sqlite> for HostId {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        <String as ToSql<Text, Sqlite>>::to_sql(&self.0, out)
    }
}

impl FromSql<Text, Sqlite> for HostId {
    fn from_sql(bytes: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <String as FromSql<Text, Sqlite>>::from_sql(bytes).map(HostId)
    }
}

/// A window as its JSON (`{"state","from","to","days"}`; the zone is the schedule's column).
impl ToSql<Text, Sqlite> for Window {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        let mut json = self.to_json("");
        json.timezone.clear();
        out.set_value(serde_json::to_string(&json)?);
        Ok(IsNull::No)
    }
}

impl FromSql<Text, Sqlite> for Window {
    fn from_sql(bytes: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Sqlite>>::from_sql(bytes)?;
        let json: WindowJson = serde_json::from_str(&text)?;
        json.to_window().map_err(|e| format!("Window in the database: {e}").into())
    }
}
