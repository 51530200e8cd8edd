"""Serves a Python application's notification log over HTTP with the Python
library's NotificationLogJSONService, through an HTTP transport of its own
(the library leaves the transport to its users), in the routes the example
service serves:

    GET /notifications/{section_id}      get_log_section
    GET /notifications?start=N&limit=M&topics=a,b&inclusive_of_start=true|false
                                         get_notifications

    serve_log.py WORLDS THINGS    the tutorial's Universe, in memory, with WORLDS
                                  worlds of THINGS things each; prints
                                  "listening on HOST:PORT", then each line read
                                  on standard input ("more WORLDS THINGS")
                                  stores more and prints "stored N" (the last
                                  notification id); ends at the end of input.
"""
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from eventsourcing.interface import NotificationLogJSONService

from universe import Universe

app = Universe()
service = NotificationLogJSONService(app)


def store(worlds, things):
    for w in range(worlds):
        world_id = app.create_world(f"world {w}")
        for t in range(things):
            app.make_it_so(world_id, f"thing {t}")
    return app.recorder.max_notification_id()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        try:
            if url.path.startswith("/notifications/"):
                body = service.get_log_section(urllib.parse.unquote(url.path[len("/notifications/"):]))
            elif url.path == "/notifications":
                query = dict(urllib.parse.parse_qsl(url.query))
                topics = [t for t in query.get("topics", "").split(",") if t]
                body = service.get_notifications(
                    int(query["start"]) if "start" in query else None,
                    int(query["limit"]),
                    topics,
                    inclusive_of_start=query.get("inclusive_of_start", "true") == "true",
                )
            else:
                self.send_error(404)
                return
        except (ValueError, KeyError) as e:
            self.send_error(400, str(e))
            return
        data = body.encode("utf8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


store(int(sys.argv[1]), int(sys.argv[2]))
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
for line in sys.stdin:
    words = line.split()
    if words and words[0] == "more":
        print(f"stored {store(int(words[1]), int(words[2]))}", flush=True)
server.shutdown()
