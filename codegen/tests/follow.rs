//! A new event of a leader's is a build error until each follower says what
//! it does with it: shown on the bank's schema, and the error quoted in
//! `docs/systems.md` is the one the generator gives.

#[test]
fn a_new_upstream_event_no_follower_mentions_fails_the_build_as_documented() {
    let schema = std::fs::read_to_string("../schemas/bank_accounts.yaml").unwrap();
    eventsmith_codegen::generate("schemas/bank_accounts.yaml", &schema).unwrap();
    let frozen = "      close:\n";
    assert!(schema.contains(frozen));
    let grown = schema.replacen(
        frozen,
        "      freeze: { event: Frozen, doc: Stops payments for now. }\n      close:\n",
        1,
    );
    let error = eventsmith_codegen::generate("schemas/bank_accounts.yaml", &grown)
        .expect_err("a new event no follower mentions was accepted")
        .to_string();
    assert_eq!(error.lines().count(), 1, "{error}");
    assert!(
        error.contains("does not say what it does with an event of 'Bank': Account.Frozen"),
        "{error}"
    );
    let docs = std::fs::read_to_string("../docs/systems.md").unwrap();
    assert!(
        docs.contains(error.trim()),
        "docs/systems.md does not quote:\n{error}"
    );

    // Ignoring it builds again.
    let ignored = grown.replacen(
        "ignore: [Account.OverdraftLimitSet, Account.InterestPaid]",
        "ignore: [Account.OverdraftLimitSet, Account.InterestPaid, Account.Frozen]",
        1,
    );
    assert_ne!(ignored, grown);
    eventsmith_codegen::generate("schemas/bank_accounts.yaml", &ignored).unwrap();
}
