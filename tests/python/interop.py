"""Drives the Python tutorial application for the Rust interoperability tests.

    interop.py create NAME [WHAT ...]   prints the new world's id (32 hex)
    interop.py append ID WHAT [WHAT ...]
    interop.py history ID               prints the history as JSON
    interop.py log                      prints the notification log as JSON
    interop.py section ID               prints NotificationLogJSONService's
                                        get_log_section(ID)
    interop.py notifications START LIMIT TOPICS INCLUSIVE
                                        prints its get_notifications (START
                                        "-" for None, TOPICS comma-separated,
                                        INCLUSIVE "y" or "n")

    interop.py snapshot ID [VERSION]    takes a snapshot (IS_SNAPSHOTTING_ENABLED=y)
    interop.py read-snapshot ID         prints the world read from its latest
                                        snapshot alone, as JSON
    interop.py world ID                 prints the world as the repository
                                        gets it, as JSON

    interop.py follow NAME COUNT        subscribes to the log of an application
                                        named NAME (its own table), prints
                                        "subscribed", then the next COUNT
                                        notifications as JSON lines as they
                                        are recorded; "timeout" and exit 3
                                        when one takes over 30 s

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


def follow(name, count):
    """Follows the log of Universe under another name, with the library's
    own subscription (LISTEN on its channel, then a pull on each NOTIFY)."""
    import queue
    import threading

    app = type(name, (Universe,), {})()
    received = queue.Queue()
    subscription = app.recorder.subscribe(gt=app.recorder.max_notification_id())

    def pump():
        for notification in subscription:
            received.put(notification)

    threading.Thread(target=pump, daemon=True).start()
    print("subscribed", flush=True)
    for _ in range(count):
        try:
            n = received.get(timeout=30)
        except queue.Empty:
            print("timeout", flush=True)
            os._exit(3)
        print(json.dumps([n.id, n.originator_id.hex, n.originator_version, n.topic]), flush=True)
    # The subscription's threads wait on the server: leave without them.
    os._exit(0)


def main(args):
    command = args[0]
    if command == "follow":
        follow(args[1], int(args[2]))
    app = Universe()
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
    elif command == "section":
        from eventsourcing.interface import NotificationLogJSONService
        print(NotificationLogJSONService(app).get_log_section(args[1]))
    elif command == "notifications":
        from eventsourcing.interface import NotificationLogJSONService
        start = None if args[1] == "-" else int(args[1])
        topics = [t for t in args[3].split(",") if t]
        print(NotificationLogJSONService(app).get_notifications(
            start, int(args[2]), topics, inclusive_of_start=args[4] == "y"))
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
