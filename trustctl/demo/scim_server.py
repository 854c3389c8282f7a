"""Real SCIM 2.0 service providers on 127.0.0.1 (scim2-server), for the demo and the tests.

One threaded WSGI server serves each app as a tenant (`/APP/v2/Users`), behind a static bearer
token. Users are written through the server's own storage with a clock set to their creation and
deactivation times, so `meta.lastModified` reads like a real app's would. `live_scim_servers` also
gives a function that replaces one app's users while the server runs (the demo's history).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from scim2_models import Email, ScimProvider, User
from scim2_server.applications.wsgi import TenantDispatcher
from scim2_server.memory import InMemoryStorage
from scim2_server.service import ScimService
from scim2_server.testserver.application import BEARER_TOKEN_SCHEME, BearerTokenApplication
from scim2_server.utils import (
    load_default_provider,
    load_default_resource_types,
    load_default_schemas,
    load_default_service_provider_config,
)


@dataclass(frozen=True)
class ScimUser:
    user_name: str
    email: str
    active: bool = True
    created: datetime = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
    # When `active` became false (meta.lastModified); None: never changed after creation.
    deactivated: datetime | None = None


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _storage(users: list[ScimUser]) -> InMemoryStorage:
    provider = load_default_provider()
    user_type = next(rt for rt in provider.resource_types if rt.name == "User")
    storage = InMemoryStorage()
    for person in users:
        stamp = person.created
        storage.clock = lambda: stamp  # noqa: B023 - read at once, inside create()
        made = storage.create(
            user_type,
            User(
                user_name=person.user_name,
                active=True,
                emails=[Email(value=person.email, primary=True, type=Email.Type.work)],
            ),
        )
        if not person.active:
            changed = person.deactivated or person.created
            storage.clock = lambda: changed  # noqa: B023
            made = made.model_copy(update={"active": False})
            storage.update(user_type, made)
    storage.clock = lambda: datetime.now(UTC)
    return storage


@contextmanager
def scim_servers(apps: dict[str, list[ScimUser]], token: str) -> Iterator[dict[str, str]]:
    """Serve each app's users; yields app name -> its SCIM base URL (`http://127.0.0.1:PORT/APP/v2`)."""
    with live_scim_servers(apps, token) as (urls, _):
        yield urls


Replace = Callable[[str, list[ScimUser]], None]


@contextmanager
def live_scim_servers(
    apps: dict[str, list[ScimUser]], token: str
) -> Iterator[tuple[dict[str, str], Replace]]:
    """As `scim_servers`, with a function that replaces one app's users (served from the next request)."""
    config = load_default_service_provider_config()
    config.authentication_schemes = [*(config.authentication_schemes or []), BEARER_TOKEN_SCHEME]
    provider = ScimProvider.from_discovery(
        load_default_schemas().values(), load_default_resource_types().values(), config=config
    )
    service = ScimService(provider, secret="trustctl-demo")
    served: dict[str, BearerTokenApplication] = {}

    def replace(name: str, users: Iterable[ScimUser]) -> None:
        served[name] = BearerTokenApplication(
            _storage(list(users)), provider, service=service, bearer_tokens=[token]
        )

    for name, users in apps.items():
        replace(name, users)

    def application(tenant: str) -> Any:
        if tenant not in served:
            return None
        # The dispatcher keeps the first application of a tenant: this one reads the current users.
        return lambda environ, start_response: served[tenant](environ, start_response)

    server = make_server(
        "127.0.0.1",
        0,
        TenantDispatcher(application),
        server_class=_ThreadingServer,
        handler_class=_QuietHandler,
    )
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="scim-server", daemon=True)
    thread.start()
    try:
        yield {name: f"http://127.0.0.1:{port}/{name}/v2" for name in apps}, replace
    finally:
        server.shutdown()
        server.server_close()
