"""A moto server in this process on 127.0.0.1, with the environment the AWS SDK needs to use it."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from wsgiref.types import WSGIApplication

from trustctl.errors import TrustctlError

MOTO_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
    "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
}
CLEARED = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_REGION",
)


Middleware = Callable[[WSGIApplication], WSGIApplication]


def _wrapped(server_class: Any, wrap: Middleware) -> Any:
    """ThreadedMotoServer with moto's WSGI app wrapped by `wrap`."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    class WrappedMotoServer(server_class):  # type: ignore[misc,valid-type]
        # Mirrors ThreadedMotoServer._server_entry (moto 5), wrapping the app it builds.
        def _server_entry(self) -> None:
            app = wrap(DomainDispatcherApplication(create_backend_app))
            self._server = make_server(
                self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
            )
            self._server_ready_event.set()
            self._server.serve_forever()

    return WrappedMotoServer


@contextmanager
def moto_server(backup_shim: bool = False, middleware: Middleware | None = None) -> Iterator[str]:
    """Start moto on a free port; point this process's AWS SDK at it; restore the environment after.

    `backup_shim`: also answer the AWS Backup reads moto lacks (selections, recovery points, restore
    jobs, restore testing plans) from `trustctl.demo.backup_shim.STATE`, for the demo.
    `middleware`: wraps the whole app, in front of the shim (tests inject faults with it).
    """
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        raise TrustctlError(
            "the demo needs moto's server.", "Install it: pip install 'trustctl[demo]'."
        ) from None
    layers: list[Middleware] = []
    if backup_shim:
        from trustctl.demo.backup_shim import BackupShim

        layers.append(BackupShim)
    if middleware is not None:
        layers.append(middleware)

    def wrap(app: WSGIApplication) -> WSGIApplication:
        for layer in layers:
            app = layer(app)
        return app

    server_class = _wrapped(ThreadedMotoServer, wrap) if layers else ThreadedMotoServer
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    saved = {k: os.environ.get(k) for k in (*MOTO_ENV, *CLEARED, "AWS_ENDPOINT_URL")}
    for k in CLEARED:
        os.environ.pop(k, None)
    os.environ.update(MOTO_ENV)
    server = server_class(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"
    try:
        yield os.environ["AWS_ENDPOINT_URL"]
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
