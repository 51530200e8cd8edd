//! Bank accounts, generated from `schemas/bank_accounts.yaml`, with the
//! business rules written here in Rust beside the generated code: an
//! account must be open to pay money in or out, amounts must be positive,
//! and a withdrawal may not take the balance below the overdraft limit.
//!
//! The generated commands `credit` and `debit` trigger their events
//! unchecked. The schema makes them visible to this crate only
//! (`visibility: crate`): other crates go through the methods here, which
//! check the rules first and then call them.
//!
//! ```
//! use eventsmith::Decimal;
//! use eventsmith_generated::bank_accounts::{Bank, BankError};
//!
//! let bank = Bank::isolated([])?;
//! let id = bank.open_account("Alice", "alice@example.com")?;
//! bank.deposit(id, Decimal::new(100, 0))?;
//! bank.set_overdraft_limit(id, Decimal::new(50, 0))?;
//! bank.withdraw(id, Decimal::new(140, 0))?;
//! assert_eq!(bank.get_balance(id)?, Decimal::new(-40, 0));
//! assert!(matches!(
//!     bank.withdraw(id, Decimal::new(20, 0)),
//!     Err(BankError::InsufficientFunds { .. })
//! ));
//! # Ok::<(), BankError>(())
//! ```

use std::fmt;

use eventsmith::domain::Checked;
use eventsmith::{Aggregate, Decimal, PolicyError, ProcessingOf};

eventsmith::include_generated!("bank_accounts");

/// Why a payment was refused, or could not be made.
#[derive(Debug)]
#[non_exhaustive]
pub enum BankError {
    /// The account is closed.
    AccountClosed {
        /// The account.
        account_id: AccountId,
    },
    /// The amount is zero or negative.
    NotPositive {
        /// The amount given.
        amount: Decimal,
    },
    /// The withdrawal would take the balance below the overdraft limit.
    InsufficientFunds {
        /// The account.
        account_id: AccountId,
        /// Its balance.
        balance: Decimal,
        /// Its overdraft limit.
        overdraft_limit: Decimal,
        /// The amount asked for.
        amount: Decimal,
    },
    /// The account could not be got or saved.
    Store(eventsmith::Error),
}

impl fmt::Display for BankError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AccountClosed { account_id } => write!(f, "account {account_id} is closed"),
            Self::NotPositive { amount } => write!(f, "amount {amount} is not positive"),
            Self::InsufficientFunds {
                account_id,
                balance,
                overdraft_limit,
                amount,
            } => write!(
                f,
                "account {account_id} has a balance of {balance} and an overdraft limit of \
                 {overdraft_limit}: {amount} cannot be withdrawn"
            ),
            Self::Store(err) => write!(f, "{err}"),
        }
    }
}

impl std::error::Error for BankError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Store(err) => Some(err),
            _ => None,
        }
    }
}

impl From<eventsmith::Error> for BankError {
    fn from(err: eventsmith::Error) -> Self {
        Self::Store(err)
    }
}

impl Account {
    /// Pays `amount` in.
    ///
    /// # Errors
    ///
    /// [`BankError::AccountClosed`], [`BankError::NotPositive`].
    pub fn deposit(&mut self, amount: Decimal) -> Result<(), BankError> {
        self.check_payment(amount)?;
        self.credit(amount)?;
        Ok(())
    }

    /// Takes `amount` out, if the balance stays within the overdraft limit.
    ///
    /// # Errors
    ///
    /// [`BankError::AccountClosed`], [`BankError::NotPositive`],
    /// [`BankError::InsufficientFunds`].
    pub fn withdraw(&mut self, amount: Decimal) -> Result<(), BankError> {
        self.check_payment(amount)?;
        let short = match self.balance.checked_sub(amount) {
            Some(after) => after < -self.overdraft_limit,
            None => true,
        };
        if short {
            return Err(BankError::InsufficientFunds {
                account_id: self.id(),
                balance: self.balance,
                overdraft_limit: self.overdraft_limit,
                amount,
            });
        }
        self.debit(amount)?;
        Ok(())
    }

    fn check_payment(&self, amount: Decimal) -> Result<(), BankError> {
        if self.closed {
            return Err(BankError::AccountClosed {
                account_id: self.id(),
            });
        }
        if amount <= Decimal::ZERO {
            return Err(BankError::NotPositive { amount });
        }
        Ok(())
    }
}

/// Interest, the state change `bank_accounts.yaml` leaves to Rust: paid on a
/// positive balance only, rounded to cents.
impl AccountApply for Account {
    fn apply_interest_paid(&mut self, event: AccountInterestPaid) -> eventsmith::Result<()> {
        if self.balance > Decimal::ZERO {
            let checked = Checked::new(
                AccountInterestPaid::TOPIC,
                event.originator_id,
                event.originator_version,
            );
            let interest = self
                .balance
                .checked_mul(event.rate)
                .ok_or_else(|| checked.overflow("balance", "interest"))?
                .round_dp(2);
            self.balance = checked.increment("balance", self.balance, interest)?;
        }
        Ok(())
    }
}

impl Bank {
    /// Pays `amount` into the account `account_id`.
    ///
    /// # Errors
    ///
    /// As [`Account::deposit`]; [`BankError::Store`] when the account cannot
    /// be got or saved.
    pub fn deposit(&self, account_id: AccountId, amount: Decimal) -> Result<(), BankError> {
        let mut account = self.get_account(account_id)?;
        account.deposit(amount)?;
        self.application().save(&mut account)?;
        Ok(())
    }

    /// Takes `amount` out of the account `account_id`.
    ///
    /// # Errors
    ///
    /// As [`Account::withdraw`]; [`BankError::Store`] when the account
    /// cannot be got or saved.
    pub fn withdraw(&self, account_id: AccountId, amount: Decimal) -> Result<(), BankError> {
        let mut account = self.get_account(account_id)?;
        account.withdraw(amount)?;
        self.application().save(&mut account)?;
        Ok(())
    }

    /// Moves `amount` from one account to another: both events are saved
    /// together, or neither.
    ///
    /// # Errors
    ///
    /// As [`Account::withdraw`] and [`Account::deposit`];
    /// [`BankError::Store`] when an account cannot be got or saved.
    pub fn transfer(
        &self,
        from: AccountId,
        to: AccountId,
        amount: Decimal,
    ) -> Result<(), BankError> {
        let mut source = self.get_account(from)?;
        let mut target = self.get_account(to)?;
        source.withdraw(amount)?;
        target.deposit(amount)?;
        self.application()
            .save_all(&mut [&mut source, &mut target])?;
        Ok(())
    }

    /// Closes the account `account_id`.
    ///
    /// # Errors
    ///
    /// [`BankError::AccountClosed`] when it is already closed;
    /// [`BankError::Store`] when it cannot be got or saved.
    pub fn close_account(&self, account_id: AccountId) -> Result<(), BankError> {
        let mut account = self.get_account(account_id)?;
        if account.closed {
            return Err(BankError::AccountClosed { account_id });
        }
        account.close();
        self.application().save(&mut account)?;
        Ok(())
    }
}

/// The statements' policies: each payment the bank stores becomes a line
/// of the account's statement. A statement is begun when its account is
/// opened, so each later event finds it.
impl StatementsPolicy for Statements {
    fn begin_statement(
        &self,
        opened: AccountOpened,
        processing: &mut ProcessingOf<'_, '_, Statements>,
    ) -> Result<(), PolicyError> {
        processing.save(Statement::create(opened.originator_id.uuid()));
        Ok(())
    }

    fn record_credit(
        &self,
        credited: AccountCredited,
        processing: &mut ProcessingOf<'_, '_, Statements>,
    ) -> Result<(), PolicyError> {
        let mut statement = self.statement_of(credited.originator_id)?;
        statement.record_credit(credited.amount)?;
        processing.save(statement);
        Ok(())
    }

    fn record_debit(
        &self,
        debited: AccountDebited,
        processing: &mut ProcessingOf<'_, '_, Statements>,
    ) -> Result<(), PolicyError> {
        let mut statement = self.statement_of(debited.originator_id)?;
        statement.record_debit(debited.amount)?;
        processing.save(statement);
        Ok(())
    }

    fn end_statement(
        &self,
        closed: AccountClosed,
        processing: &mut ProcessingOf<'_, '_, Statements>,
    ) -> Result<(), PolicyError> {
        let mut statement = self.statement_of(closed.originator_id)?;
        statement.end();
        processing.save(statement);
        Ok(())
    }
}

impl Statements {
    /// The statement of the account `account_id`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::AggregateNotFound`](eventsmith::ErrorKind::AggregateNotFound) before the account's
    /// opening is processed; storage errors.
    pub fn statement_of(&self, account_id: AccountId) -> eventsmith::Result<Statement> {
        self.get_statement(Statement::create_id(account_id.uuid()))
    }
}
