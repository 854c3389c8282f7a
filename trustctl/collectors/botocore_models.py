"""botocore service models cut down to the operations trustctl declares, cached on disk.

A botocore client loads its service's whole model: EC2's has about 750 operations, parses in 0.17 s
and holds 18 MiB; the 16 services of a collection cost about 0.43 s of CPU and 58 MiB before the first
request. trustctl's clients are built from a model that keeps only the declared operations (those
`trustctl permissions aws` lists), the shapes they reach and no documentation. An undeclared operation
is then not even a method of the client; the guard in clients.py stays as the second line.

A pruned model is written to the cache directory (TRUSTCTL_CACHE_DIR; else $XDG_CACHE_HOME/trustctl;
else ~/.cache/trustctl; TRUSTCTL_CACHE_DIR="" turns the cache off), named by a digest of botocore's
version, the model file it came from (path, size, mtime) and the operations kept. A later run loads a
few kilobytes instead of parsing the whole file: the 16 clients take about 0.09 s and 10 MiB. A cache
that cannot be written or read is skipped: the model is then pruned in memory, as on a first run.

A fresh machine (a CI runner) has no cache, so the package ships the pruned models of the default
collectors for the botocore version constraints.txt pins (botocore-models.json.gz, written by
`make models`; derived from botocore's data files, Apache License 2.0). They are used only when the
installed botocore is that version, the allowed operations are the default ones and the model would
come from botocore's own data (not AWS_DATA_PATH); anything else takes the cache path above.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

from botocore import __version__ as BOTOCORE_VERSION
from botocore.loaders import JSONFileLoader, Loader, instance_cache

SERVICE_MODEL = "service-2"
BUNDLE = Path(__file__).with_name("botocore-models.json.gz")
BUNDLE_SOURCE = "botocore's data files (Apache License 2.0), pruned by trustctl.collectors.botocore_models"
DOCUMENTATION_KEYS = ("documentation", "documentationUrl")


def cache_dir() -> Path | None:
    """Where pruned models are kept, or None when TRUSTCTL_CACHE_DIR is set to the empty string."""
    configured = os.environ.get("TRUSTCTL_CACHE_DIR")
    if configured is not None:
        return Path(configured).expanduser() if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "trustctl"


class PlainJSONFileLoader(JSONFileLoader):  # type: ignore[misc]  # botocore is untyped
    """botocore's file loader with plain dicts: insertion-ordered since Python 3.7, and about half the
    memory and parse time of the OrderedDicts botocore asks for."""

    def _load_file(self, full_path: str, open_method: Any) -> Any:
        if not os.path.isfile(full_path):
            return None
        with open_method(full_path, "rb") as fp:
            return json.loads(fp.read())


def signing_name(model: dict[str, Any]) -> str:
    """The name operations are declared under (`s3:ListBuckets`, `sso:ListInstances`), as
    botocore.model.ServiceModel.signing_name derives it."""
    metadata = model.get("metadata", {})
    return str(metadata.get("signingName") or metadata.get("endpointPrefix", ""))


def reachable_shapes(shapes: dict[str, Any], roots: Iterable[str]) -> set[str]:
    """Every shape the roots refer to, directly or through members, list members and map keys/values."""
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name in seen or name not in shapes:
            continue
        seen.add(name)
        shape = shapes[name]
        stack += [shape[k]["shape"] for k in ("member", "key", "value") if k in shape]
        stack += [m["shape"] for m in shape.get("members", {}).values()]
    return seen


def _without_documentation(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_documentation(v) for k, v in value.items() if k not in DOCUMENTATION_KEYS}
    if isinstance(value, list):
        return [_without_documentation(v) for v in value]
    return value


def prune(model: dict[str, Any], allowed: Collection[str]) -> dict[str, Any]:
    """A service model with only the operations `allowed` names (`signing-name:Operation`), the shapes
    their input, output and errors reach, and no documentation."""
    prefix = signing_name(model)
    operations = {
        name: op for name, op in model.get("operations", {}).items() if f"{prefix}:{name}" in allowed
    }
    roots: list[str] = []
    for op in operations.values():
        roots += [op[k]["shape"] for k in ("input", "output") if k in op]
        roots += [error["shape"] for error in op.get("errors", [])]
    shapes = model.get("shapes", {})
    kept = reachable_shapes(shapes, roots)
    # Documentation goes from operations and shapes only: botocore reads it elsewhere (clientContextParams).
    return {
        **model,
        "operations": _without_documentation(operations),
        "shapes": _without_documentation({name: shape for name, shape in shapes.items() if name in kept}),
    }


class PrunedLoader(Loader):  # type: ignore[misc]  # botocore is untyped
    """botocore's Loader, whose service models (`service-2`) keep only the allowed operations."""

    def __init__(
        self,
        allowed: Collection[str],
        cache: Path | None,
        search_paths: list[str] | None = None,
        bundle: Path | None = BUNDLE,
    ):
        super().__init__(extra_search_paths=search_paths, file_loader=PlainJSONFileLoader())
        self._allowed = frozenset(allowed)
        self._operations = operations_digest(self._allowed)
        self._model_cache = cache / "botocore-models" if cache is not None else None
        self._bundle_path = bundle
        self._bundled: dict[str, Any] | None = None

    @instance_cache  # type: ignore[untyped-decorator]
    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        if type_name != SERVICE_MODEL:
            return super().load_service_model(service_name, type_name, api_version)
        if api_version is None:
            api_version = self.determine_latest_version(service_name, type_name)
        source = self._source(os.path.join(service_name, api_version, SERVICE_MODEL))
        shipped = self._from_bundle(service_name, api_version, source)
        if shipped is not None:
            return shipped
        cached = self._cached_path(service_name, api_version, source)
        if cached is not None:
            try:
                return json.loads(cached.read_bytes())
            except (OSError, ValueError):
                pass  # absent or damaged: built again below
        model = prune(super().load_service_model(service_name, type_name, api_version), self._allowed)
        if cached is not None:
            _write_atomically(cached, json.dumps(model, separators=(",", ":")).encode())
        return model

    def _cached_path(self, service_name: str, api_version: str, source: str | None) -> Path | None:
        """The cache file for this service's pruned model, or None without a cache or a source file."""
        if self._model_cache is None or source is None:
            return None
        stat = os.stat(source)
        key = json.dumps([BOTOCORE_VERSION, source, stat.st_size, stat.st_mtime_ns, self._operations])
        digest = hashlib.sha256(key.encode()).hexdigest()[:20]
        return self._model_cache / f"{service_name}-{api_version}-{digest}.json"

    def _from_bundle(self, service_name: str, api_version: str, source: str | None) -> dict[str, Any] | None:
        """The shipped pruned model, when it was made from exactly what this loader would prune."""
        if source is None or not self.is_builtin_path(source):
            return None  # a model from AWS_DATA_PATH: the shipped one is not its pruned form
        if self._bundled is None:
            self._bundled = read_bundle(self._bundle_path, self._allowed) if self._bundle_path else {}
        return self._bundled.get(f"{service_name}/{api_version}")

    def _source(self, name: str) -> str | None:
        """The file botocore would load `name` from (the first search path that has it)."""
        for path in self.search_paths:
            for ext in (".json", ".json.gz"):
                candidate = os.path.join(path, name + ext)
                if os.path.isfile(candidate):
                    return candidate
        return None


def _write_atomically(path: Path, data: bytes) -> None:
    """Write a cache file so that no reader ever sees half of it; any failure leaves no cache."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except OSError:
            os.unlink(tmp)
            raise
    except OSError:
        pass  # a read-only or full cache directory: the next run prunes in memory again


def pruned_loader(allowed: Collection[str], data_path: str | None) -> PrunedLoader:
    """The loader for a botocore session; `data_path` is the session's AWS_DATA_PATH setting."""
    paths = None
    if data_path:
        paths = [os.path.expanduser(os.path.expandvars(p)) for p in data_path.split(os.pathsep)]
    return PrunedLoader(allowed, cache_dir(), paths)


def operations_digest(allowed: Collection[str]) -> str:
    return hashlib.sha256("\n".join(sorted(allowed)).encode()).hexdigest()


def read_bundle(path: Path, allowed: Collection[str]) -> dict[str, Any]:
    """The shipped models ("service/api-version" -> model) if they fit this botocore and these
    operations; otherwise (or if the file is missing or damaged) none."""
    try:
        bundle = json.loads(gzip.decompress(path.read_bytes()))
    except (OSError, ValueError, EOFError):
        return {}
    fits = bundle.get("botocore") == BOTOCORE_VERSION and bundle.get("operations") == operations_digest(
        allowed
    )
    return dict(bundle.get("models", {})) if fits else {}


def build_bundle() -> dict[str, Any]:
    """Pruned models of every service the default collectors and the runner use, for this botocore."""
    import botocore.session

    from trustctl.collectors.aws.runner import client_services, declared_operations

    allowed = declared_operations()
    loader = botocore.session.get_session().get_component("data_loader")
    models: dict[str, Any] = {}
    covered: set[str] = set()
    for service in client_services():
        api_version = loader.determine_latest_version(service, SERVICE_MODEL)
        model = prune(loader.load_service_model(service, SERVICE_MODEL, api_version), allowed)
        models[f"{service}/{api_version}"] = model
        covered |= {f"{signing_name(model)}:{op}" for op in model["operations"]}
    if covered != allowed:
        raise SystemExit(f"no service model has {sorted(allowed - covered)}: add its service to build_bundle")
    return {
        "source": BUNDLE_SOURCE,
        "botocore": BOTOCORE_VERSION,
        "operations": operations_digest(allowed),
        "models": models,
    }


def write_bundle(path: Path = BUNDLE) -> None:
    """`make models`: write the shipped bundle for the installed (constraints-pinned) botocore."""
    data = json.dumps(build_bundle(), separators=(",", ":")).encode()  # the models keep their order
    path.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))


if __name__ == "__main__":
    write_bundle()
    print(f"wrote {BUNDLE} for botocore {BOTOCORE_VERSION}", file=sys.stderr)
