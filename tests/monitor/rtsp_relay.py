"""A small RTSP server for the tests (RFC 2326 over TCP, interleaved RTP), as IP cameras and
media servers (mediamtx) serve: a publisher ANNOUNCEs a stream and RECORDs it (FFmpeg's RTSP
muxer, driven through PyAV), players DESCRIBE / SETUP / PLAY it and receive its RTP packets.
``cut_after`` closes the ``cut_connection``-th player connection after that many packets (a
lost feed); players are disconnected when the publisher goes (the stream ended)."""

from __future__ import annotations

import contextlib
import socket
import threading


class RtspRelay:
    def __init__(self, cut_after: int | None = None, cut_connection: int = 1) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sdp: bytes | None = None
        self.players: list[socket.socket] = []
        self.lock = threading.Lock()
        self.cut_after, self.cut_connection = cut_after, cut_connection
        self.player_connections = 0
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}/bed"

    def close(self) -> None:
        self.closed = True
        self.sock.close()
        with self.lock:
            for p in self.players:
                with contextlib.suppress(OSError):
                    p.close()

    def _accept(self) -> None:
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buf = b""
        role = None
        try:
            while True:
                while not buf.startswith(b"$") and b"\r\n\r\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                if buf.startswith(b"$"):  # an interleaved packet from the publisher
                    while len(buf) < 4:
                        buf += conn.recv(65536)
                    size = int.from_bytes(buf[2:4], "big")
                    while len(buf) < 4 + size:
                        chunk = conn.recv(65536)
                        if not chunk:
                            return
                        buf += chunk
                    packet, buf = buf[:4 + size], buf[4 + size:]
                    self._relay(packet)
                    continue
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode().split("\r\n")
                method, url, _ = lines[0].split(" ", 2)
                headers = {k.strip().lower(): v.strip() for k, v in
                           (ln.split(":", 1) for ln in lines[1:] if ":" in ln)}
                length = int(headers.get("content-length", 0))
                while len(buf) < length:
                    buf += conn.recv(65536)
                body, buf = buf[:length], buf[length:]
                cseq = headers.get("cseq", "0")
                extra = ""
                payload = b""
                if method == "OPTIONS":
                    extra = "Public: OPTIONS, DESCRIBE, ANNOUNCE, SETUP, PLAY, RECORD, TEARDOWN, " \
                            "GET_PARAMETER\r\n"
                elif method == "ANNOUNCE":
                    self.sdp, role = body, "publisher"
                elif method == "DESCRIBE":
                    if self.sdp is None:
                        conn.sendall(f"RTSP/1.0 404 Not Found\r\nCSeq: {cseq}\r\n\r\n".encode())
                        continue
                    payload = self.sdp
                    extra = (f"Content-Base: {url}/\r\nContent-Type: application/sdp\r\n"
                             f"Content-Length: {len(payload)}\r\n")
                elif method == "SETUP":
                    extra = f"Transport: {headers.get('transport', '')}\r\nSession: 4711\r\n"
                elif method in ("PLAY", "RECORD"):
                    extra = "Session: 4711\r\n"
                conn.sendall(f"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\n{extra}\r\n".encode() + payload)
                if method == "PLAY":
                    role = "player"
                    with self.lock:
                        self.player_connections += 1
                        cut = self.player_connections == self.cut_connection
                        self.players.append(conn)
                    if cut and self.cut_after is not None:
                        self._cut = (conn, self.cut_after)
                elif method == "TEARDOWN":
                    return
        except OSError:
            return
        finally:
            if role == "player":
                with self.lock:
                    if conn in self.players:
                        self.players.remove(conn)
            if role == "publisher":  # the stream ended: so does every player's connection
                with self.lock:
                    players, self.players = self.players, []
                    self.sdp = None
                for p in players:
                    with contextlib.suppress(OSError):
                        p.shutdown(socket.SHUT_RDWR)
                        p.close()
            with contextlib.suppress(OSError):
                conn.close()

    _cut: tuple[socket.socket, int] | None = None

    def _relay(self, packet: bytes) -> None:
        with self.lock:
            players = list(self.players)
        for p in players:
            try:
                p.sendall(packet)
            except OSError:
                with self.lock:
                    if p in self.players:
                        self.players.remove(p)
        if self._cut is not None:
            conn, left = self._cut
            left -= 1
            self._cut = (conn, left)
            if left <= 0:
                self._cut = None
                with self.lock:
                    if conn in self.players:
                        self.players.remove(conn)
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                    conn.close()
