"""The monitor's own HTTP endpoint (``ictal monitor run --http HOST:PORT``).

* ``GET /metrics`` -- Prometheus text format (frames in, windows out, not assessable,
  dropped, reconnections, alarms, latency per bed);
* ``GET /beds`` -- JSON: every bed's recent windows, alarm state and counters;
* ``GET /events`` -- server-sent events, one ``event: window | alarm | note`` with a JSON
  ``data:`` line per record, as they are journaled (the web platform's live page and any
  dashboard subscribe to it).

The server binds where it is told (``127.0.0.1`` by default); it has no authentication of its
own -- put it behind the platform or a reverse proxy before exposing it beyond the host.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ictal.errors import ConfigError
from ictal.monitor.service import Monitor

log = logging.getLogger(__name__)


class MonitorServer:
    """Serves a :class:`Monitor`'s metrics, state and events over HTTP (module docstring)."""

    def __init__(self, monitor: Monitor, host: str = "127.0.0.1", port: int = 0) -> None:
        self.monitor = monitor
        self._clients: list[queue.Queue[tuple[str, dict[str, Any]] | None]] = []
        self._lock = threading.Lock()
        monitor.listen(self._broadcast)
        handler = self._handler()
        try:
            self.httpd = ThreadingHTTPServer((host, port), handler)
        except OSError as err:
            raise ConfigError(f"--http {host}:{port}: cannot listen ({err})",
                              hint="choose a free port, e.g. --http 127.0.0.1:9108") from err
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="monitor-http",
                                       daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        with self._lock:
            for q in self._clients:
                q.put(None)
        self.httpd.shutdown()
        self.httpd.server_close()

    def _broadcast(self, kind: str, record: dict[str, Any]) -> None:
        with self._lock:
            for q in self._clients:
                # a slow client loses events, the beds do not wait
                with contextlib.suppress(queue.Full):
                    q.put_nowait((kind, record))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                log.debug("http: " + format, *args)

            def _send(self, code: int, body: bytes, ctype: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                if path == "/metrics":
                    self._send(200, server.monitor.prometheus().encode(),
                               "text/plain; version=0.0.4")
                elif path == "/beds":
                    self._send(200, json.dumps(server.monitor.snapshot()).encode(),
                               "application/json")
                elif path == "/events":
                    self._events()
                else:
                    self._send(404, b'{"detail": "not found: /metrics, /beds or /events"}',
                               "application/json")

            def _events(self) -> None:
                q: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue(maxsize=1000)
                with server._lock:
                    server._clients.append(q)
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Cache-Control", "no-store")
                    self.end_headers()
                    self.wfile.write(b": ictal monitor events\n\n")
                    self.wfile.flush()
                    while True:
                        try:
                            item = q.get(timeout=15)
                        except queue.Empty:
                            self.wfile.write(b": keep-alive\n\n")
                            self.wfile.flush()
                            continue
                        if item is None:
                            break
                        kind, record = item
                        self.wfile.write(f"event: {kind}\ndata: {json.dumps(record)}\n\n"
                                         .encode())
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with server._lock:
                        server._clients.remove(q)

        return Handler
