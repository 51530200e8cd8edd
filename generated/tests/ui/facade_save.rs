// The facade does not dereference to `eventsmith::Application`, and its
// application is the bank's crate's own: another crate cannot save an
// account it changed around the rules.
use eventsmith_generated::bank_accounts::Bank;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bank = Bank::isolated([])?;
    let id = bank.open_account("Mallory", "mallory@example.com")?;
    let mut account = bank.get_account(id)?;
    bank.save(&mut account)?;
    bank.application().save(&mut account)?;
    let _app: &eventsmith::Application = &bank;
    Ok(())
}
