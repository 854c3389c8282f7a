"""Reading back what a person added to the locker as signed runs (documents, exception responses, trust
shares): every record of one provider and operation in the given runs, validated into its model. A
record that cannot be read is left out and described, never raised: a signed run cannot be changed, so
it must not stop every report that reads it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from trustctl.errors import LockerError
from trustctl.evidence.locker import Locker
from trustctl.evidence.records import Call, Manifest

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Stored(Generic[M]):
    value: M
    digest: str  # the object's sha256:HEX
    run_id: str


def stored_records(
    locker: Locker,
    manifests: list[Manifest],
    provider: str,
    operation: str,
    model: type[M],
    label: Callable[[Call], str],
    invalid: str = "is invalid",
    remedy: str = "",
) -> tuple[list[Stored[M]], list[str]]:
    """(the records, oldest first; what could not be read, one line each: "RUN: LABEL INVALID ('field':
    why); left out REMEDY")."""
    stored: list[Stored[M]] = []
    problems: list[str] = []
    for manifest in manifests:
        for record in manifest.requests:
            call = record.call
            if call.provider != provider or call.operation != operation or not record.object:
                continue
            where = f"{locker.root}/runs/{manifest.run_id}"
            try:
                value = model.model_validate(locker.get_object(record.object))
            except ValidationError as e:
                first = e.errors()[0]
                problems.append(
                    f"{where}: {label(call)} {invalid} "
                    f"('{'.'.join(map(str, first['loc']))}': {first['msg']}); left out{remedy}"
                )
                continue
            except LockerError as e:
                problems.append(f"{where}: {label(call)}: {e}")
                continue
            stored.append(Stored(value, record.object, manifest.run_id))
    return stored, problems
