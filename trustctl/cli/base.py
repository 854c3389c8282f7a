"""The trustctl command line's root: the group, its error handling and the options commands share.

The CLI (this package) is the only code that imports click. Results on stdout, progress and
errors on stderr; exit codes as in the README."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

import click

from trustctl import __version__
from trustctl.errors import (
    EXIT_ERROR,
    TrustctlError,
)


def lazy_module(name: str) -> ModuleType:
    """The module `name`, executed on its first attribute access rather than now.

    Command modules import what only their bodies use this way, so that registering every command
    (and `trustctl --help`) does not load pandas, boto3, rich or the report renderers."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}", name=name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
    return module


# Every top-level command and the module that defines it (and registers it on `main` when imported). A
# command's module is imported when that command runs, so `collect` never loads the report commands'
# catalogs and models; `--help`, which lists them all, imports them all (test_cli_lazy checks the map).
COMMAND_MODULES = {
    "check": "reports",
    "collect": "evidence",
    "controls": "catalogs",
    "demo": "catalogs",
    "docs": "evidence",
    "exception": "exceptions",
    "export": "reports",
    "frameworks": "catalogs",
    "identity": "reports",
    "init": "evidence",
    "packet": "reports",
    "permissions": "catalogs",
    "questionnaire": "questionnaire",
    "roadmap": "reports",
    "status": "reports",
    "trust-report": "reports",
    "trust-share": "share",
    "verify": "evidence",
}


class TrustctlGroup(click.Group):
    """Loads each command's module when the command is used; turns TrustctlError into one line on stderr
    and its exit code; tracebacks only with --debug."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMAND_MODULES) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            importlib.import_module(f"trustctl.cli.{COMMAND_MODULES[cmd_name]}")
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TrustctlError as e:
            if ctx.meta.get("debug"):
                traceback.print_exc()
            click.echo(f"trustctl: error: {e}", err=True)
            sys.exit(e.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as e:
            if ctx.meta.get("debug"):
                raise
            click.echo(
                f"trustctl: unexpected error: {type(e).__name__}: {e} (run with --debug for details)",
                err=True,
            )
            sys.exit(EXIT_ERROR)


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    envvar="TRUSTCTL_CONFIG",
    help="Path to trustctl.toml (default: ./trustctl.toml; env TRUSTCTL_CONFIG).",
)


def _emit(text: str, output: Path | None, summary: str = "") -> None:
    """Text to --output (saying so on stderr) or to stdout."""
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}{summary}", err=True)
    else:
        click.echo(text, nl=not text.endswith("\n"))


@click.group(cls=TrustctlGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="trustctl")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """trustctl: collect compliance evidence, keep it verifiable, and report the gaps."""
    ctx.meta["debug"] = debug


format_option = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
