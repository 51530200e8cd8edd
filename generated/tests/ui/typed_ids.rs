// Each aggregate's id is its own type: an account's id is not a world's,
// and a bare UUID does not become one through `.into()` (only through the
// constructor that says it is unchecked).
use eventsmith_generated::bank_accounts::Bank;
use eventsmith_generated::world::Universe;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bank = Bank::isolated([])?;
    let universe = Universe::isolated([])?;
    let account_id = bank.open_account("Alice", "alice@example.com")?;
    universe.make_it_so(account_id, "dinosaurs")?;
    let _: eventsmith::Uuid = account_id;
    let _: eventsmith_generated::bank_accounts::AccountId = eventsmith::Uuid::nil().into();
    Ok(())
}
