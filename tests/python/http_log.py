"""Reads a notification log served over HTTP with the Python library's
NotificationLogJSONClient, through an HTTP transport of its own (the
library leaves the transport to its users).

    http_log.py BASE_URL sections     prints every notification the client's
                                      sections give, read from the start by
                                      the library's NotificationLogReader,
                                      one JSON line each
    http_log.py BASE_URL select START LIMIT
                                      prints the client's select(START, LIMIT)
"""
import json
import sys
import urllib.parse
import urllib.request

from eventsourcing.interface import NotificationLogInterface, NotificationLogJSONClient
from eventsourcing.system import NotificationLogReader


class HttpInterface(NotificationLogInterface):
    def __init__(self, base):
        self.base = base

    def _get(self, path):
        with urllib.request.urlopen(self.base + path, timeout=30) as response:
            return response.read().decode("utf8")

    def get_log_section(self, section_id):
        return self._get("/notifications/" + urllib.parse.quote(section_id, safe=","))

    def get_notifications(self, start, limit, topics=(), *, inclusive_of_start=True):
        query = {"limit": str(limit), "inclusive_of_start": "true" if inclusive_of_start else "false"}
        if start is not None:
            query["start"] = str(start)
        if topics:
            query["topics"] = ",".join(topics)
        return self._get("/notifications?" + urllib.parse.urlencode(query))


def line(notification):
    return json.dumps([
        notification.id,
        notification.originator_id.hex,
        notification.originator_version,
        notification.topic,
        notification.state.decode("utf8"),
    ])


def main(base, command, *args):
    client = NotificationLogJSONClient(HttpInterface(base))
    if command == "sections":
        for notification in NotificationLogReader(client, section_size=10).read(start=1):
            print(line(notification))
    elif command == "select":
        for notification in client.select(int(args[0]), int(args[1])):
            print(line(notification))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(*sys.argv[1:])
