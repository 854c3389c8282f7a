"""The trustctl command line: results on stdout, progress and errors on stderr; exit codes as in the
README. The only package that imports click; each command calls the orchestrator (trustctl.pipeline)
and prints what it returns. Command modules load when their command runs (base.COMMAND_MODULES)."""

from trustctl.cli.base import main

__all__ = ["main"]
