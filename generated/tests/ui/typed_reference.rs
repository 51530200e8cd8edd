// A member's id cannot stand for a book's: the loan takes a `BookId`, and
// there is no conversion from a `MemberId` (nor from a bare `Uuid`).
use eventsmith_generated::library::Library;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let library = Library::isolated([])?;
    let member = library.join("Dorothea", None)?;
    library.lend(member, member)?;
    library.lend(member, eventsmith::Uuid::new_v4().into())?;
    Ok(())
}
