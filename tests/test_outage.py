"""With the database gone, pages answer 503 with a friendly page and the API a 503
JSON error; when the database comes back, the same app recovers without a restart."""

from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.conftest import test_config
from voice import create_app
from voice.extensions import db


class TcpProxy:
    """A loopback TCP proxy we can cut and restore, standing in for a database outage."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.accepting = False

    def start(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(16)
        self.accepting = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.accepting:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Refuse new connections and break the open ones, as a stopped server would."""
        self.accepting = False
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self.listener.close()
        for conn in self.connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            except OSError:
                pass
        self.connections = []


def check_down(client, page_path: str | None = None) -> None:
    if page_path:
        page = client.get(page_path)
        assert page.status_code == 503
        assert "Voice is unavailable" in page.get_data(as_text=True)
        assert page.headers["Retry-After"] == "15"
    api = client.get("/api/v1/me/notifications", headers={"Authorization": "Bearer x"})
    assert api.status_code == 503
    assert api.json["error"]["code"] == "unavailable"
    assert client.get("/healthz").status_code == 503


def check_up(client, page_path: str | None = None) -> None:
    if page_path:
        assert client.get(page_path).status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer x"}).status_code == 401


def sqlite_outage_and_recovery(tmp_path: Path) -> None:
    folder = tmp_path / "gone"
    app = create_app(test_config(f"sqlite:///{folder / 'voice.sqlite'}"))
    client = app.test_client()
    check_down(client)  # the folder does not exist: the file cannot be opened
    folder.mkdir()
    with app.app_context():
        db.create_all()
    check_up(client)


def postgresql_outage_and_recovery(database_urls) -> None:
    from tests.conftest import PASSWORD, Browser
    from voice.accounts import service

    url = make_url(database_urls["postgresql"])
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = create_app(test_config(proxied))
    try:
        with app.app_context():
            db.create_all()
            user = service.create_user("outage@example.com", PASSWORD, "Out Age")
            db.session.refresh(user)
            db.session.expunge(user)
        browser = Browser(app, user)
        check_up(browser.client, "/me")
        proxy.cut()
        check_down(browser.client, "/me")  # loading the signed-in user needs the database
        proxy.start()
        check_up(browser.client, "/me")  # same app, same pool: pre-ping drops dead connections
    finally:
        proxy.cut()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_outage_and_recovery(backend, database_urls, tmp_path):
    if backend == "sqlite":
        sqlite_outage_and_recovery(tmp_path)
    else:
        postgresql_outage_and_recovery(database_urls)
