//! Another crate cannot declare the bank's `Account` one of the
//! statements' aggregates, to save it through their policies' processing.
use eventsmith::__private::AggregateOf;
use eventsmith_generated::bank_accounts::{Account, Statements};

impl AggregateOf<Statements> for Account {}

fn main() {}
