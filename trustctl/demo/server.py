"""A moto server in this process on 127.0.0.1, with the environment the AWS SDK needs to use it."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

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


@contextmanager
def moto_server() -> Iterator[str]:
    """Start moto on a free port; point this process's AWS SDK at it; restore the environment after."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        raise TrustctlError(
            "the demo needs moto's server.", "Install it: pip install 'trustctl[demo]'."
        ) from None
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    saved = {k: os.environ.get(k) for k in (*MOTO_ENV, *CLEARED, "AWS_ENDPOINT_URL")}
    for k in CLEARED:
        os.environ.pop(k, None)
    os.environ.update(MOTO_ENV)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
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
