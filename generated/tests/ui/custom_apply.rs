// The trait of the state changes written in Rust is the bank's crate's own:
// another crate cannot call it to change an account without an event.
use eventsmith_generated::bank_accounts::{Account, AccountApply};

fn pay_yourself(account: &mut Account, event: eventsmith_generated::bank_accounts::AccountInterestPaid) {
    let _ = AccountApply::apply_interest_paid(account, event);
}

fn main() {}
