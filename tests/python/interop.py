"""Drives the Python tutorial application for the Rust interoperability tests.

    interop.py create NAME [WHAT ...]   prints the new world's id (32 hex)
    interop.py append ID WHAT [WHAT ...]
    interop.py history ID               prints the history as JSON
    interop.py log                      prints the notification log as JSON

With --v2 first, the tutorial's domain of version 2 (v2/universe.py):
SomethingHappened at class version 2, with a reason.

    interop.py --v2 append ID WHAT WHY
    interop.py --v2 reasons ID          prints the reasons as JSON

Storage is chosen by the environment, as the tutorial chooses it.
"""
import json
import os
import sys
from uuid import UUID

from eventsourcing.system import NotificationLogReader

if sys.argv[1:2] == ["--v2"]:
    sys.argv.pop(1)
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "v2"))

from universe import Universe  # noqa: E402


def main(args):
    app = Universe()
    command = args[0]
    if command == "append2":
        app.make_it_so(UUID(args[1]), args[2], args[3])
        return
    if command == "reasons":
        print(json.dumps(app.get_reasons(UUID(args[1]))))
        return
    if command == "create":
        world_id = app.create_world(args[1])
        for what in args[2:]:
            app.make_it_so(world_id, what)
        print(world_id.hex)
    elif command == "append":
        for what in args[2:]:
            app.make_it_so(UUID(args[1]), what)
    elif command == "history":
        print(json.dumps(app.get_history(UUID(args[1]))))
    elif command == "log":
        reader = NotificationLogReader(app.notification_log)
        print(json.dumps([
            [n.id, n.originator_id.hex, n.originator_version, n.topic]
            for n in reader.read(start=1)
        ]))
    else:
        raise SystemExit("unknown command " + command)


if __name__ == "__main__":
    main(sys.argv[1:])
