//! Another crate can neither replace the statements' policies nor call one
//! around the runtime: a policy is called with a `Processing`, which only
//! the runtime makes, so that what it saves is stored with the event's
//! position.
use eventsmith::{PolicyError, Processing};
use eventsmith_generated::bank_accounts::{AccountOpened, Statements, StatementsPolicy};

impl StatementsPolicy for Statements {
    fn begin_statement(&self, _: AccountOpened, _: &mut Processing<'_>) -> Result<(), PolicyError> {
        Ok(())
    }
}

fn main() {
    let _processing = Processing {};
}
