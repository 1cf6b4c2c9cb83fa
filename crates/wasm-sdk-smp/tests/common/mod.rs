//! Shared test support: the client helpers and the test doubles
//! ([`doubles`]).

#![allow(dead_code)]

pub mod client;
pub mod doubles;

pub use doubles::RamSlots;
