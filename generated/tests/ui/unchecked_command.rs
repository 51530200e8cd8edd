// `credit` is `visibility: crate` in the schema: only the bank's own crate,
// where `Account::deposit` checks the rules, may call it.
use eventsmith::Decimal;
use eventsmith_generated::bank_accounts::Bank;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bank = Bank::isolated([])?;
    let id = bank.open_account("Mallory", "mallory@example.com")?;
    let mut account = bank.get_account(id)?;
    account.credit(Decimal::ONE_HUNDRED)?;
    Ok(())
}
