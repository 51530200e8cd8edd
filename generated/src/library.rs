//! Typed references between aggregates, generated from
//! `schemas/library.yaml`: a member's loans hold books' ids (`Id<Book>`),
//! stored as UUIDs are.
//!
//! ```
//! use eventsmith_generated::library::Library;
//!
//! let library = Library::isolated([])?;
//! let book = library.catalogue("Middlemarch")?;
//! let member = library.join("Dorothea", None)?;
//! library.lend(member, book)?;
//! assert_eq!(library.borrowed(member)?, [book]);
//! # Ok::<(), eventsmith::Error>(())
//! ```

eventsmith::include_generated!("library");
