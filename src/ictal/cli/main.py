"""Entry point of the ``ictal`` console script.

Each ``ictal.cli.<stage>`` module exposes ``register(app)``; heavy libraries (torch, h5py,
the web stack) are imported inside the commands so that ``ictal --help`` stays fast.
"""

from __future__ import annotations

import importlib
import logging
import sys

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.text import Text

from ictal import __version__
from ictal.errors import IctalError

# Modules that register commands, in the order they appear in ``ictal --help``.
COMMAND_MODULES = (
    "ictal.cli.demo",
    "ictal.cli.manifest",
    "ictal.cli.video",
    "ictal.cli.phantom",
    "ictal.cli.preprocess",
    "ictal.cli.backbones",
    "ictal.cli.landmarks",
    "ictal.cli.keypoints",
    "ictal.cli.features",
    "ictal.cli.learn",
    "ictal.cli.team",
    "ictal.cli.explain",
    "ictal.cli.serve",
    "ictal.cli.monitor",
)

err_console = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ictal {__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    """Create the Typer application with every available stage's commands."""
    app = typer.Typer(
        name="ictal",
        help="Turn epilepsy-monitoring-unit video into reproducible evidence about seizures.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def _main(
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="Print the version."
        ),
        verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More logging (-vv)."),
    ) -> None:
        level = logging.WARNING - 10 * min(verbose, 2)
        logging.basicConfig(
            level=level, format="%(message)s", handlers=[RichHandler(console=err_console)],
            force=True,
        )

    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name == name:  # stage not built into this installation
                continue
            raise
        module.register(app)
    return app


app_typer = build_app()


def app() -> None:
    """Run the CLI with the README's exit codes.

    0 success; 1 a batch with failed items (the command prints its summary and exits with it);
    2 a usage or input error: click's usage errors (unknown option, missing argument, a value
    an option's check refused) and every :class:`IctalError`, printed with what to do.
    """
    try:
        rc = app_typer(standalone_mode=False)
    except IctalError as err:
        # the message is text, not markup (paths and lists hold brackets); lines are not
        # wrapped, so a path stays whole
        err_console.print(Text.assemble(("error: ", "bold red"), str(err)), soft_wrap=True)
        sys.exit(2)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except Exception as exc:
        # click's usage errors, from click or from the copy of click vendored in typer >= 0.22:
        # both have show() and exit_code (2)
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        raise
    sys.exit(rc if isinstance(rc, int) else 0)
