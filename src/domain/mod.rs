//! Value types that can only hold valid values, and pure calculations: no I/O, no async.

pub mod account;
pub mod alerting;
pub mod budget;
pub mod catalogue;
pub mod dosage;
pub mod feed;
pub mod invalid;
pub mod mealplan;
pub mod nutrition;
pub mod progress;
pub mod recommend;
pub mod renewal;
pub mod retention;
pub mod safety;
pub mod script;
pub mod shopping;
