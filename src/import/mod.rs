//! Bringing schedules in from elsewhere: the Python Chrontainer's database (`legacy`), and
//! Chrontainer's own JSON backup (`transfer`: export and import).

pub mod legacy;
pub mod offline;
pub mod transfer;
