//! The user's path, shown and compiled: `build.rs` generates Rust from every
//! schema in `schemas/`, and each module below includes one, beside the Rust
//! its schema leaves to the user.

pub mod bank_accounts;
pub mod evolution_v1;
pub mod evolution_v3;
pub mod inventory;
pub mod library;
pub mod names;
pub mod world;
pub mod world_counts;
pub mod world_v2;

/// `docs/async.md`, whose example runs as a doc test here.
#[cfg(doctest)]
#[doc = include_str!("../../docs/async.md")]
pub struct AsyncDocs;

/// `docs/operations.md`, whose example compiles as a doc test here.
#[cfg(doctest)]
#[doc = include_str!("../../docs/operations.md")]
pub struct OperationsDocs;
