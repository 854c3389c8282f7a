"""Registering the commands (and `trustctl --help`) imports none of the heavy libraries: each loads where
it is used. No timings: what is imported is the property, measured in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("pandas", "numpy", "boto3", "botocore", "scim2_client", "scim2_models", "jinja2", "yaml")
HEAVY += ("google.api_core", "cryptography", "weasyprint")


def _loaded(code: str) -> list[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_the_command_line_registers_without_heavy_imports() -> None:
    assert _loaded("import trustctl.cli") == []


def test_help_prints_every_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "trustctl.cli", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("collect", "check", "controls", "trust-share"):
        assert command in out


def test_pipeline_names_load_on_first_use_and_keep_their_meaning() -> None:
    code = (
        "import sys\n"
        "from trustctl import pipeline\n"
        "import trustctl.pipeline.assess\n"  # importing the submodule must not hide the function
        "assert callable(pipeline.assess) and pipeline.assess.__name__ == 'assess'\n"
        "assert pipeline.check_report.__module__ == 'trustctl.pipeline.assess'\n"
        "assert set(pipeline.__all__) == set(pipeline._WHERE)\n"
        "for name in pipeline.__all__:\n"
        "    assert getattr(pipeline, name) is getattr(sys.modules[f'trustctl.pipeline.{pipeline._WHERE[name]}'], name)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_each_command_is_registered_by_the_module_the_lazy_group_names() -> None:
    """base.COMMAND_MODULES is complete and right: importing every command module registers exactly
    its commands, each from the module named for it."""
    code = (
        "import importlib, pkgutil, trustctl.cli as cli\n"
        "from trustctl.cli.base import COMMAND_MODULES, main\n"
        "for m in pkgutil.iter_modules(cli.__path__):\n"
        "    if m.name != '__main__':\n"
        "        importlib.import_module(f'trustctl.cli.{m.name}')\n"
        "found = {name: c.callback.__module__.rpartition('.')[2] for name, c in main.commands.items()}\n"
        "assert found == COMMAND_MODULES, (found, COMMAND_MODULES)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_running_a_command_loads_only_its_module() -> None:
    code = (
        "import sys\n"
        "from trustctl.cli import main\n"
        "try:\n"
        "    main(['collect', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('trustctl.cli.') and m != 'trustctl.cli.base')\n"
        "assert loaded == ['trustctl.cli.evidence'], loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_assessing_reads_collector_declarations_without_the_aws_sdk() -> None:
    """`check` reads what the collectors declare (the permissions a run used) and the pipeline's
    assessment module; neither loads boto3 or botocore, which only a collection needs."""
    code = (
        "import trustctl.pipeline.assess\n"
        "from trustctl.collectors.aws.runner import declared_actions, declared_operations\n"
        "assert declared_actions() and declared_operations()\n"
    )
    loaded = _loaded(code)
    assert "boto3" not in loaded and "botocore" not in loaded, loaded
