"""The ``pledge-widget`` console script: the Flask command line of the standalone service, our commands only."""
from __future__ import annotations

import click
from flask.cli import FlaskGroup

from . import __version__, disposable
from .app import create_app
from .campaigns import CampaignError
from .cli import pledge
from .cli.db import db, db_copy_in


def main() -> None:
    """The ``pledge-widget`` console script."""
    def make_app():
        try:
            return create_app()
        except CampaignError as exc:  # a message naming the campaign and the problem, not a traceback
            raise click.ClickException(f"PLEDGE_CAMPAIGNS_FILE: {exc}") from None
        except (ValueError, RuntimeError) as exc:  # a setting to fix, or a database out of reach
            raise click.ClickException(str(exc)) from None

    cli = ServiceGroup(name="pledge-widget", create_app=make_app, add_default_commands=False,
                     add_version_option=False, load_dotenv=False, set_debug_flag=False,
                     help="The pledge widget service.")
    for command in pledge.commands.values():
        cli.add_command(command)
    # `db` with the command only the standalone service has (the shared group stays as a host app sees it).
    cli.add_command(click.Group("db", commands={**db.commands, "copy-in": db_copy_in}, help=db.help))
    # This is our service's command line, not Flask's: no --app/--env-file (the app is ours), and --version
    # says this package's version (read before any app is made: it works whatever the settings), then the
    # details: the version of the lists it relies on.
    cli.params = [param for param in cli.params if param.name not in ("app", "env_file")]
    click.version_option(__version__, "--version", prog_name="pledge-widget",
                         message=f"%(prog)s %(version)s\n{disposable.list_version()}")(cli)
    cli.main(prog_name="pledge-widget")


class ServiceGroup(FlaskGroup):
    """Only our own commands: not those other packages plug into ``flask`` (Flask-Limiter's), nor the
    app's ``flask pledge`` group, which would list every command twice."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.commands)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self.commands.get(name)
