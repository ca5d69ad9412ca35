//! Value types that can only hold valid values, and pure calculations: no I/O, no async.

pub mod account;
pub mod catalogue;
pub mod feed;
pub mod nutrition;
pub mod progress;
