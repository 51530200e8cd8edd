//! Typed references (issue 24, point 3): a member's loans hold books'
//! ids, `Id<Book>` in the schema, stored exactly as a UUID field is (the
//! Python library's `{"_type_": "uuid_hex", "_data_": ...}`), read back as
//! the same ids, in events and in snapshots. That a member's id cannot
//! stand for a book's is `tests/ui/typed_reference.rs`.

use eventsmith::Aggregate;
use eventsmith_generated::library::{Library, Member};

#[test]
fn a_reference_is_stored_as_a_uuid_and_read_back_typed() {
    let library = Library::isolated([("IS_SNAPSHOTTING_ENABLED", "y")]).unwrap();
    let (first, second) = (
        library.catalogue("Middlemarch").unwrap(),
        library.catalogue("Persuasion").unwrap(),
    );
    let member = library.join("Dorothea", None).unwrap();
    library.lend(member, first).unwrap();
    library.lend(member, second).unwrap();
    assert_eq!(library.borrowed(member).unwrap(), [first, second]);

    let section = library.log().section("1,10").unwrap();
    let lent = &section.items[3];
    assert_eq!(lent.topic, "library:Member.Lent");
    let state: serde_json::Value = serde_json::from_slice(&lent.state).unwrap();
    assert_eq!(
        state["book"],
        serde_json::json!({"_type_": "uuid_hex", "_data_": first.uuid().simple().to_string()})
    );

    // From a snapshot too.
    library.take_snapshot(member, None).unwrap();
    let from_snapshot: Member = library.repository().get(member).unwrap();
    assert_eq!(from_snapshot.borrowed(), [first, second]);
    assert_eq!(from_snapshot.version(), 3);
}

#[test]
fn a_uuid5_name_takes_an_ids_32_hex_digits_as_python_does() {
    let library = Library::isolated([]).unwrap();
    let member = library.join("Dorothea", None).unwrap();
    let card = library.issue_card(member).unwrap();
    // Python: uuid5(NAMESPACE_URL, "/cards/" + member_id.hex)
    let name = format!("/cards/{}", member.uuid().simple());
    assert_eq!(
        card.uuid(),
        eventsmith::Uuid::new_v5(&eventsmith::Uuid::NAMESPACE_URL, name.as_bytes())
    );
    assert_eq!(library.get_card(card).unwrap().member(), member);
    // One card for each member: a second is a conflict.
    let err = library.issue_card(member).unwrap_err();
    assert!(
        matches!(err.kind(), eventsmith::ErrorKind::VersionConflict { .. }),
        "{err}"
    );
}
