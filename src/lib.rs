//! Chrontainer: restarts, starts, stops, pauses and unpauses Docker containers on cron schedules,
//! with a dashboard, a JSON API and an activity log. See ARCHITECTURE.md in the project's docs.

pub mod actors;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod cron;
pub mod docker;
pub mod domain;
pub mod error;
pub mod events;
pub mod import;
pub mod labels;
pub mod memory;
pub mod metrics;
pub mod notify;
pub mod outbound;
pub mod store;
pub mod text;
pub mod time;
pub mod web;
