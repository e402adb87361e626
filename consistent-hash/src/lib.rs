#![forbid(unsafe_code)]
//! Consistent hashing for backend services: part of the bricks workspace.
//!
//! This crate is a skeleton: its structures land with their issue.

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
