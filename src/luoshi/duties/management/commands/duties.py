"""``luoshi duties list|grant|revoke``: the separation of duties from the server's command line.

For setting an installation up and for recovery (e.g. the only security administrator left): whoever can
run commands on the server already controls it. Every grant and revocation is audited like one made in
the app, with the command as the actor.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from luoshi.core.errors import LuoshiError
from luoshi.duties import selectors, services
from luoshi.duties.models import Duty
from luoshi.organizations.models import User

COMMAND_ACTOR = "luoshi duties"


class Command(BaseCommand):
    help = _("List who holds the system, security and audit administrator duties; grant or revoke one.")

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="{list,grant,revoke}")
        subcommands.add_parser("list", help=_("Who holds which duty."))
        grant = subcommands.add_parser("grant", help=_("Give a person a duty."))
        grant.add_argument("username")
        grant.add_argument("duty", choices=Duty.values)
        grant.add_argument("--reason", default="", help=_("Why (kept in the audit trail)."))
        revoke = subcommands.add_parser("revoke", help=_("End the duty a person holds."))
        revoke.add_argument("username")
        revoke.add_argument("--reason", default="", help=_("Why (kept in the audit trail)."))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "list":
            self._list()
            return
        person = User.objects.filter(username=options["username"]).first()
        if person is None:
            raise CommandError(_("Nobody has the username %(username)s.") % {"username": options["username"]})
        try:
            if options["subcommand"] == "grant":
                grant = services.duty_grant(
                    actor=COMMAND_ACTOR, person=person, duty=options["duty"], reason=options["reason"]
                )
                done = _("%(name)s is now the %(duty)s.")
            else:
                grant = services.duty_revoke(actor=COMMAND_ACTOR, person=person, reason=options["reason"])
                done = _("%(name)s no longer holds the %(duty)s duty.")
        except LuoshiError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(self.style.SUCCESS(done % {"name": person, "duty": grant.get_duty_display()}))

    def _list(self) -> None:
        grants = list(selectors.holders())
        if not grants:
            self.stdout.write(_("Nobody holds a duty yet."))
        for grant in grants:
            self.stdout.write(f"{grant.get_duty_display()}\t{grant.user.username}\t{grant.user}")
        for person in User.objects.filter(is_superuser=True, is_active=True).exclude(
            pk__in=[g.user_id for g in grants]
        ):
            self.stdout.write(
                f"{Duty.SYSTEM.label}\t{person.username}\t{person}\t" + _("(superuser, no recorded grant)")
            )
