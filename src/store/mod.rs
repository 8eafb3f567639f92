//! The SQLite database: schema, rows and the queries the StoreActor runs.

pub mod db;
pub mod models;
pub mod queries;
pub mod schema;
pub mod stats;

pub use models::{LogEntry, LogQuery, LogRow, NewLog, NewSchedule, Schedule, ScheduleChanges, ScheduleRow};
