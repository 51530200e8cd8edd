//! The statements follow the bank (`schemas/bank_accounts.yaml`): a process
//! application and a system declared in the schema, with policies written
//! in Rust beside the generated code. Each of the bank's payments becomes
//! one line of its account's statement, once, with either runner, across
//! restarts, and a failing policy stops the follower where it was.

use std::time::{Duration, Instant};

use eventsmith::{Decimal, ErrorKind};
use eventsmith_generated::bank_accounts::{AccountId, Accounting, Bank, Statements};

fn money(units: i64) -> Decimal {
    Decimal::new(units, 0)
}

/// Opens two accounts and makes payments: five handled events for
/// Alice (opened, two credits, a debit, closed), two for Bob (opened, a
/// credit), and two the statements ignore (an overdraft limit and
/// interest).
fn trade(bank: &Bank) -> (AccountId, AccountId) {
    let alice = bank.open_account("Alice", "alice@example.com").unwrap();
    let bob = bank.open_account("Bob", "bob@example.com").unwrap();
    bank.deposit(alice, money(100)).unwrap();
    bank.set_overdraft_limit(alice, money(50)).unwrap();
    bank.transfer(alice, bob, money(30)).unwrap();
    bank.pay_interest(bob, Decimal::new(1, 2)).unwrap();
    bank.deposit(alice, money(5)).unwrap();
    bank.close_account(alice).unwrap();
    (alice, bob)
}

#[test]
fn the_single_threaded_runner_brings_every_statement_up_to_date_once() {
    let system = Accounting::isolated([]).unwrap();
    let (alice, bob) = trade(system.bank());
    let runner = system.single_threaded().unwrap();
    let statements = system.statements();
    let alice_statement = statements.statement_of(alice).unwrap();
    assert_eq!(alice_statement.paid_in(), money(105));
    assert_eq!(alice_statement.paid_out(), money(30));
    assert_eq!(alice_statement.payments(), 3);
    assert!(alice_statement.closed());
    let bob_statement = statements.statement_of(bob).unwrap();
    assert_eq!(bob_statement.paid_in(), money(30));
    assert_eq!(bob_statement.payments(), 1);
    assert!(!bob_statement.closed());

    // Running again processes only what is new.
    let mut runner = runner;
    assert_eq!(runner.run().unwrap(), 0);
    system.bank().withdraw(bob, money(7)).unwrap();
    assert_eq!(runner.run().unwrap(), 1);
    assert_eq!(statements.statement_of(bob).unwrap().paid_out(), money(7));
    assert_eq!(runner.stop().len(), 1);
    assert_eq!(Accounting::PIPES, &[("Bank", "Statements")]);
}

#[test]
fn a_follower_processes_each_handled_event_once_and_passes_over_the_ignored() {
    let bank = Bank::isolated([]).unwrap();
    let statements = Statements::isolated([]).unwrap();
    trade(&bank);
    // Nine notifications: seven handled, two ignored.
    assert_eq!(statements.process_bank(&bank).unwrap(), 7);
    assert_eq!(statements.process_bank(&bank).unwrap(), 0);
}

#[test]
fn a_failing_policy_stops_the_follower_before_the_event_and_keeps_failing_there() {
    let system = Accounting::isolated([]).unwrap();
    let bank = system.bank();
    let account = bank.open_account("Max", "max@example.com").unwrap();
    // The balance goes up and down, but what was paid in overflows the
    // statement's decimal on the third payment.
    bank.deposit(account, Decimal::MAX).unwrap();
    bank.withdraw(account, Decimal::MAX).unwrap();
    bank.deposit(account, Decimal::MAX).unwrap();
    bank.withdraw(account, Decimal::MAX).unwrap();
    let error = system.statements().process_bank(bank).unwrap_err();
    let ErrorKind::Policy {
        follower,
        leader,
        notification_id,
        topic,
        policy,
        source,
    } = error.kind()
    else {
        panic!("not a policy error: {error}");
    };
    assert_eq!((follower.as_str(), leader.as_str()), ("Statements", "Bank"));
    assert_eq!(*notification_id, 4);
    // The event's topic, and the method of `StatementsPolicy` it went to.
    assert!(topic.ends_with("Account.Credited"), "{topic}");
    assert_eq!(*policy, Some("record_credit"));
    assert!(
        error.to_string().starts_with(
            "the policy record_credit of Statements failed on notification 4 of Bank ("
        ),
        "{error}"
    );
    assert!(source.to_string().contains("paid_in"), "{source}");
    // Nothing of the failed event was stored: the statement is as the
    // first three events left it, and the next run fails on the same one.
    let statement = system.statements().statement_of(account).unwrap();
    assert_eq!(statement.paid_in(), Decimal::MAX);
    assert_eq!(statement.payments(), 2);
    let again = system.single_threaded().unwrap_err();
    assert!(
        matches!(
            *again.kind(),
            ErrorKind::Policy {
                notification_id: 4,
                ..
            }
        ),
        "{again}"
    );
}

#[test]
fn statements_on_files_of_their_own_resume_where_they_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let bank_file = dir.path().join("bank.sqlite");
    let statements_file = dir.path().join("statements.sqlite");
    let values = [
        ("PERSISTENCE_MODULE", "sqlite"),
        ("BANK_SQLITE_DBNAME", bank_file.to_str().unwrap()),
        (
            "STATEMENTS_SQLITE_DBNAME",
            statements_file.to_str().unwrap(),
        ),
    ];
    let (alice, bob) = {
        let system = Accounting::isolated(values).unwrap();
        let accounts = trade(system.bank());
        system.single_threaded().unwrap();
        accounts
    };
    let system = Accounting::isolated(values).unwrap();
    system.bank().deposit(bob, money(12)).unwrap();
    let mut runner = system.single_threaded().unwrap();
    assert_eq!(runner.run().unwrap(), 0);
    let statements = system.statements();
    assert_eq!(statements.statement_of(bob).unwrap().paid_in(), money(42));
    assert_eq!(statements.statement_of(bob).unwrap().payments(), 2);
    assert_eq!(statements.statement_of(alice).unwrap().payments(), 3);
}

#[test]
fn the_multi_threaded_runner_follows_the_bank_as_it_saves() {
    let system = Accounting::isolated([]).unwrap();
    let runner = system.multi_threaded().unwrap();
    let bank = system.bank();
    let account = bank.open_account("Ada", "ada@example.com").unwrap();
    for _ in 0..20 {
        bank.deposit(account, money(1)).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let paid_in = system
            .statements()
            .statement_of(account)
            .map(|s| s.paid_in())
            .unwrap_or_default();
        if paid_in == money(20) {
            break;
        }
        assert!(Instant::now() < deadline, "paid in {paid_in} after 20 s");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(runner.failures().is_empty());
    assert_eq!(runner.stop().unwrap(), 21);
    assert_eq!(
        system
            .statements()
            .statement_of(account)
            .unwrap()
            .payments(),
        20
    );
}

#[test]
fn a_follower_refuses_a_leader_whose_log_is_in_its_own_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("accounting.sqlite");
    // The same file, written another way.
    let same = dir.path().join(".").join("accounting.sqlite");
    let system = Accounting::isolated([
        ("PERSISTENCE_MODULE", "sqlite"),
        ("BANK_SQLITE_DBNAME", file.to_str().unwrap()),
        ("STATEMENTS_SQLITE_DBNAME", same.to_str().unwrap()),
    ])
    .unwrap();
    system
        .bank()
        .open_account("Eve", "eve@example.com")
        .unwrap();
    let error = system.single_threaded().unwrap_err();
    assert!(
        matches!(*error.kind(), ErrorKind::SharedLog { .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("STATEMENTS_SQLITE_DBNAME"),
        "{error}"
    );
    // Nothing was processed: the shared log holds the opening alone.
    assert_eq!(
        system.statements().log().max_notification_id().unwrap(),
        Some(1)
    );
}

#[test]
fn a_wait_for_an_ignored_event_at_the_end_of_the_log_returns() {
    let system = Accounting::isolated([]).unwrap();
    let (bank, statements) = (system.bank(), system.statements());
    let account = bank.open_account("Ida", "ida@example.com").unwrap();
    bank.deposit(account, money(3)).unwrap();
    // Ignored by the statements: the last two notifications.
    bank.set_overdraft_limit(account, money(9)).unwrap();
    bank.pay_interest(account, Decimal::new(1, 2)).unwrap();
    let last = bank.log().max_notification_id().unwrap().unwrap();
    assert_eq!(last, 4);
    let timeout = Duration::from_millis(50);
    let error = statements.wait_for_bank(last, timeout).unwrap_err();
    assert!(
        matches!(*error.kind(), ErrorKind::TrackingTimeout { .. }),
        "{error}"
    );
    assert_eq!(statements.process_bank(bank).unwrap(), 2);
    // The position is past the ignored ones, so a reader waiting for the
    // bank's last save is not kept waiting; nothing is processed again.
    statements.wait_for_bank(last, timeout).unwrap();
    assert_eq!(statements.process_bank(bank).unwrap(), 0);
    assert!(statements.wait_for_bank(last + 1, timeout).is_err());
}
