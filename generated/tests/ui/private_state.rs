// State changes only through events: the fields and the core (identity,
// version, pending events) are private.
use eventsmith::Decimal;
use eventsmith_generated::bank_accounts::Bank;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bank = Bank::isolated([])?;
    let id = bank.open_account("Mallory", "mallory@example.com")?;
    let mut account = bank.get_account(id)?;
    account.balance = Decimal::MAX;
    let _ = &mut account.core;
    Ok(())
}
