//! A policy saves only its follower's own aggregates: the statements'
//! `processing` refuses the bank's `Account`, which would be stored in the
//! statements' store, beside the bank's position.
use eventsmith::ProcessingOf;
use eventsmith_generated::bank_accounts::{Account, Statement, Statements};

fn policy(processing: &mut ProcessingOf<'_, '_, Statements>) {
    processing.save(Statement::create(eventsmith::Uuid::nil()));
    processing.save(Account::create("Alice", "alice@example.com"));
}

fn main() {
    let _ = policy;
}
