"""The ``framework`` command line: a thin click layer that parses arguments and calls the library.

Exit codes: 0 ok, 1 failure (or TODOs left by ``migrate``), 2 usage error.

Command groups live in ``framework.commands.<group>`` and are imported only when used
(``LAZY_COMMANDS``), so ``import framework.cli`` costs click alone. Errors the user can
act on — an unknown run or pipeline, a corrupted store, a missing artifact — print one
line on stderr and exit 1, never a traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

LAZY_COMMANDS = {
    "pipelines": "framework.commands.pipelines:pipelines",
    "runs": "framework.commands.runs:runs",
    "artifacts": "framework.commands.artifacts:artifacts",
    "stack": "framework.commands.stack:stack",
    "gc": "framework.commands.gc:gc",
    "doctor": "framework.commands.doctor:doctor",
    "store": "framework.commands.store:store",
    "dashboard": "framework.commands.dashboard:dashboard",
}


def _install_log_handler(ctx: click.Context) -> None:
    """SPEC §5: the CLI prints the ``framework`` logger's lines unless logging is configured."""
    from framework.logging_setup import install_console_handler

    remove = install_console_handler()
    if remove is not None:
        ctx.call_on_close(remove)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


class FrameworkGroup(click.Group):
    """A group that loads its commands lazily and turns library errors into one-line messages."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in LAZY_COMMANDS:
            module, attribute = LAZY_COMMANDS[name].split(":")
            command = getattr(importlib.import_module(module), attribute)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        from framework.exceptions import FrameworkError

        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except FrameworkError as error:  # StoreCorruptedError names the file; ArtifactError the artifact
            raise click.ClickException(_one_line(error)) from None
        except BrokenPipeError:  # `framework runs list | head`: the reader left; stop quietly
            _silence_stdout()
            ctx.exit(1)
        except OSError as error:
            raise click.ClickException(_one_line(error)) from None


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


@click.group(cls=FrameworkGroup)
@click.version_option(package_name="framework")
@click.pass_context
def main(ctx: click.Context) -> None:
    """ML pipelines as plain Python: steps, pipelines, cached runs and artifacts.

    Read what your runs did (pipelines, runs, artifacts), see where they are stored
    (stack), check a store (doctor), reclaim space (gc) and move legacy scripts to
    the function API (migrate).
    Stores live in $FRAMEWORK_HOME (default: ~/.local/share/framework). Listings,
    show and compare take --json. Exit codes: 0 ok, 1 failure, 2 usage error.
    """
    _install_log_handler(ctx)


@main.command()
@click.argument("file", type=click.Path(path_type=str))
@click.option("--write", is_flag=True, help="Rewrite FILE in place instead of printing the result.")
@click.option("--diff", is_flag=True, help="Print a unified diff instead of the migrated source.")
@click.pass_context
def migrate(ctx: click.Context, file: str, write: bool, diff: bool) -> None:
    """Rewrite a legacy-API script (BaseParameters, slot pipelines, .run()) to the function API.

    Prints the migrated source (or a diff) unless --write. Unsupported constructs stay in
    place with a `# TODO(migrate): ...` comment and are listed on stderr as FILE:LINE: reason.
    Exit code 0 when fully migrated, 1 when TODOs remain, 2 on usage errors.
    """
    from framework.migrate import migrate_file  # imports libcst only when migrating

    ctx.exit(migrate_file(file, write=write, diff=diff))


if __name__ == "__main__":  # pragma: no cover
    main()
