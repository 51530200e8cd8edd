"""Drives the Python library's process recorder for the Rust tracking tests.

    tracking.py NAME insert UPSTREAM ID          records Tracking(UPSTREAM, ID) with
                                                 the recorder's insert_tracking
    tracking.py NAME insert-events UPSTREAM ID   records one new event with
                                                 tracking=Tracking(UPSTREAM, ID)
    tracking.py NAME max UPSTREAM                prints max_tracking_id as JSON
    tracking.py NAME has UPSTREAM ID             prints has_tracking_id as JSON

NAME is the application's name (the PostgreSQL tables are named after it).
The insert commands print "ok", or "conflict" for the library's
IntegrityError. Storage is chosen by the environment, as the library's
factory chooses it.
"""
import json
import os
import sys
from uuid import uuid4

from eventsourcing.persistence import (
    InfrastructureFactory,
    IntegrityError,
    StoredEvent,
    Tracking,
)
from eventsourcing.utils import Environment


def main(args):
    name, command, upstream = args[0], args[1], args[2]
    factory = InfrastructureFactory.construct(Environment(name, dict(os.environ)))
    recorder = factory.process_recorder()
    if command in ("insert", "insert-events"):
        tracking = Tracking(upstream, int(args[3]))
        try:
            if command == "insert":
                recorder.insert_tracking(tracking)
            else:
                event = StoredEvent(uuid4(), 1, "tracking.test:Event", b"{}")
                recorder.insert_events([event], tracking=tracking)
        except IntegrityError:
            print("conflict")
        else:
            print("ok")
    elif command == "max":
        print(json.dumps(recorder.max_tracking_id(upstream)))
    elif command == "has":
        print(json.dumps(recorder.has_tracking_id(upstream, int(args[3]))))
    else:
        raise SystemExit("unknown command " + command)


if __name__ == "__main__":
    main(sys.argv[1:])
