//! The DockerActor (its messages are in `crate::actors::docker`) and its helpers, one idea per file.

pub mod actions;
pub mod actor;
pub mod cache;
pub mod connect;
pub mod convert;
pub mod filter;
pub mod resolve;
pub mod status;
