//! Peers for the integration tests.
#![allow(dead_code, reason = "each test binary uses part of the support code")]

pub(crate) mod fake;
pub(crate) mod moto;
