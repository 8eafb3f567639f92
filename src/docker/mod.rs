//! The DockerActor's helpers (the actor itself is `crate::actors::docker`), one idea per file.

pub mod actions;
pub mod cache;
pub mod connect;
pub mod convert;
pub mod filter;
pub mod resolve;
pub mod status;
