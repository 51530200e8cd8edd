"""The Python library's side of `generated/benches/systems.rs`: the same
system (a bank, and statements that follow it with a policy per payment
event) run by the library's own runners, measured as the Rust side is.

    systems.py BACKEND RUNNER N K

BACKEND is memory, sqlite or postgres; RUNNER single or multi. N events
(N/20 accounts opened, 19 deposits each) are written with the runner's
followers detached, then processed: by the single-threaded runner's
follower pulling and processing, or by the multi-threaded runner's thread,
prompted by one more deposit. Prints

    THROUGHPUT <events processed> <wall seconds> <process CPU seconds>

and for the multi-threaded runner, after K deposits each waited for until
the statements have stored their line,

    LATENCY <p50 ms> <p99 ms>

the time from a deposit's commit (its save returning) to the follower's
commit (the statements' log growing), polled every 0.1 ms.
"""

import os
import sys
import tempfile
import time
from decimal import Decimal
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.application import Application
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.domain import Aggregate, event
from eventsourcing.system import (
    MultiThreadedRunner,
    ProcessApplication,
    SingleThreadedRunner,
    System,
)


class Account(Aggregate):
    @event("Opened")
    def __init__(self, owner):
        self.owner = owner
        self.balance = Decimal(0)

    @event("Credited")
    def credit(self, amount):
        self.balance += amount


class Bank(Application):
    def open_account(self, owner):
        account = Account(owner)
        self.save(account)
        return account.id

    def deposit(self, account_id, amount):
        account = self.repository.get(account_id)
        if amount <= 0:
            raise ValueError("not positive")
        account.credit(amount)
        self.save(account)


class Statement(Aggregate):
    @event("Begun")
    def __init__(self, account):
        self.account = account
        self.paid_in = Decimal(0)
        self.payments = 0

    @staticmethod
    def create_id(account):
        return uuid5(NAMESPACE_URL, f"/statements/{account}")

    @event("CreditRecorded")
    def record_credit(self, amount):
        self.paid_in += amount
        self.payments += 1


class Statements(ProcessApplication):
    @singledispatchmethod
    def policy(self, domain_event, processing_event):
        pass

    @policy.register(Account.Opened)
    def _(self, domain_event, processing_event):
        processing_event.collect_events(Statement(domain_event.originator_id))

    @policy.register(Account.Credited)
    def _(self, domain_event, processing_event):
        statement = self.repository.get(Statement.create_id(domain_event.originator_id))
        statement.record_credit(domain_event.amount)
        processing_event.collect_events(statement)


def environment(backend, directory):
    if backend == "memory":
        return {}
    if backend == "sqlite":
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "BANK_SQLITE_DBNAME": os.path.join(directory, "bank.sqlite"),
            "STATEMENTS_SQLITE_DBNAME": os.path.join(directory, "statements.sqlite"),
        }
    import psycopg

    # Unencrypted, as the Rust side is (libpq's default, prefer, encrypts
    # when the server offers it): the libraries are compared, not TLS.
    os.environ["PGSSLMODE"] = "disable"
    schema = "es_bench_systems_py"
    with psycopg.connect(
        "host=127.0.0.1 port=5432 user=eventsourcing password=eventsourcing dbname=eventsourcing",
        autocommit=True,
    ) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": "eventsourcing",
        "POSTGRES_HOST": "127.0.0.1",
        "POSTGRES_PORT": "5432",
        "POSTGRES_USER": "eventsourcing",
        "POSTGRES_PASSWORD": "eventsourcing",
        "POSTGRES_SCHEMA": schema,
    }


def wait_for(statements, notification_id):
    while (statements.recorder.max_notification_id() or 0) < notification_id:
        time.sleep(0.0001)


def main(backend, runner_kind, n, k):
    with tempfile.TemporaryDirectory() as directory:
        env = environment(backend, directory)
        system = System(pipes=[[Bank, Statements]])
        runner_class = SingleThreadedRunner if runner_kind == "single" else MultiThreadedRunner
        runner = runner_class(system, env=env)
        runner.start()
        bank = runner.get(Bank)
        statements = runner.get(Statements)
        followers, bank.followers = bank.followers, []
        accounts = []
        for a in range(n // 20):
            account = bank.open_account(f"owner {a}")
            accounts.append(account)
            for _ in range(19):
                bank.deposit(account, Decimal(1))
        bank.followers = followers
        wall, cpu = time.perf_counter(), time.process_time()
        if runner_kind == "single":
            statements.pull_and_process("Bank")
            processed = n
        else:
            bank.deposit(accounts[0], Decimal(1))
            wait_for(statements, n + 1)
            processed = n + 1
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        assert statements.recorder.max_notification_id() == processed
        print(f"THROUGHPUT {processed} {wall} {cpu}")
        if runner_kind == "multi":
            latencies = []
            expected = processed
            for _ in range(k):
                bank.deposit(accounts[-1], Decimal(1))
                committed = time.perf_counter()
                expected += 1
                wait_for(statements, expected)
                latencies.append((time.perf_counter() - committed) * 1000)
            latencies.sort()
            p50 = latencies[len(latencies) // 2]
            p99 = latencies[min(len(latencies) - 1, len(latencies) * 99 // 100)]
            print(f"LATENCY {p50} {p99}")
        runner.stop()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
