"""An embedded AWS: moto's threaded server on 127.0.0.1, in this process.

Only the loopback interface is ever bound, and the process gets dummy credentials so that a client
built without the local endpoint fails against real AWS instead of using someone's real keys.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import Final

import requests
from moto.server import ThreadedMotoServer
from victim_support.settings import ProcessEnvironment

from infra.local import moto_patches

REGION: Final = "ap-northeast-1"
HOST: Final = "127.0.0.1"

# The dummy identity moto accepts; the profile variables are removed so botocore cannot prefer a
# developer's configured profile over these.
_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
_REMOVED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")

_live_lock = threading.Lock()
_live_servers = 0


class MotoServer:
    """Starts and stops one ThreadedMotoServer on a free loopback port.

    moto keeps its state in process-wide backends, so every server started in this process sees the
    same resources; the state is reset when the last live server stops.
    """

    def __init__(self, port: int = 0) -> None:
        self._requested_port = port
        self._server: ThreadedMotoServer | None = None
        self._port: int | None = None
        self._process_env = ProcessEnvironment()

    @property
    def endpoint_url(self) -> str:
        if self._port is None:
            raise RuntimeError("the moto server is not running")
        return f"http://{HOST}:{self._port}"

    def start(self) -> MotoServer:
        global _live_servers
        if self._server is not None:
            return self
        self._set_credentials()
        moto_patches.apply()
        # moto logs every request (with presigned query strings) through werkzeug's logger.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = ThreadedMotoServer(ip_address=HOST, port=self._requested_port, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        if host != HOST:
            server.stop()
            raise RuntimeError(f"moto bound {host}, expected {HOST}")
        self._server, self._port = server, port
        with _live_lock:
            _live_servers += 1
        return self

    def stop(self) -> None:
        global _live_servers
        server, self._server = self._server, None
        if server is None:
            return
        with _live_lock:
            _live_servers -= 1
            last = _live_servers == 0
        if last:
            # Free the in-memory resources so the next server in this process starts empty.
            try:
                self.reset()
            except requests.RequestException:
                logging.getLogger(__name__).warning("could not reset the moto state")
        server.stop()
        self._port = None
        self._restore_credentials()

    def reset(self) -> None:
        """Forget every resource: moto's backends are process-wide, shared by all its servers."""
        # Generous timeout: resetting a backend that holds a large upload takes a while.
        requests.post(f"{self.endpoint_url}/moto-api/reset", timeout=120).raise_for_status()

    def _set_credentials(self) -> None:
        self._process_env.apply(_CREDENTIALS, remove=_REMOVED)

    def _restore_credentials(self) -> None:
        self._process_env.restore()

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
