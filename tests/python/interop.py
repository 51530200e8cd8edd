"""Drives the Python tutorial application for the Rust interoperability tests.

    interop.py create NAME [WHAT ...]   prints the new world's id (32 hex)
    interop.py append ID WHAT [WHAT ...]
    interop.py history ID               prints the history as JSON
    interop.py log                      prints the notification log as JSON

    interop.py snapshot ID [VERSION]    takes a snapshot (IS_SNAPSHOTTING_ENABLED=y)
    interop.py read-snapshot ID         prints the world read from its latest
                                        snapshot alone, as JSON
    interop.py world ID                 prints the world as the repository
                                        gets it, as JSON

With --v2 first, the tutorial's domain of version 2 (v2/universe.py):
SomethingHappened and the World at class version 2, with a reason.

    interop.py --v2 append2 ID WHAT WHY
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


def described(world):
    """The world's attributes, its id, version and times, as JSON."""
    return json.dumps({
        "id": world.id.hex,
        "version": world.version,
        "created_on": world.created_on.isoformat(),
        "modified_on": world.modified_on.isoformat(),
        "name": world.name,
        "history": world.history,
        "reasons": getattr(world, "reasons", None),
    })


def main(args):
    app = Universe()
    command = args[0]
    if command == "snapshot":
        version = int(args[2]) if len(args) > 2 else None
        app.take_snapshot(UUID(args[1]), version=version)
        return
    if command == "read-snapshot":
        [snapshot] = app.snapshots.get(UUID(args[1]), desc=True, limit=1)
        print(described(snapshot.mutate(None)))
        return
    if command == "world":
        print(described(app.repository.get(UUID(args[1]))))
        return
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
