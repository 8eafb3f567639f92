//! Bringing schedules in from elsewhere: the Python Chrontainer's database (`legacy`). JSON
//! export and import will sit beside it.

pub mod legacy;
