"""``luoshi manage twofactor_reset <username>``: remove a person's second factor from the server.

For when nobody who could reset it on the people pages can sign in any more (e.g. the only superuser
lost their phone and their recovery codes). Audited with no actor, like other commands run on the server.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from luoshi.accounts import services
from luoshi.organizations.models import User


class Command(BaseCommand):
    help = _("Remove a person's authenticator app and recovery codes, and sign them out everywhere.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username", help=_("Sign-in name of the person."))

    def handle(self, *args: Any, **options: Any) -> None:
        person = User.objects.filter(username=options["username"]).first()
        if person is None:
            raise CommandError(_("Nobody is called %(username)s.") % {"username": options["username"]})
        services.second_factor_reset_by_operator(person=person)
        self.stdout.write(
            _("The second factor of %(username)s was removed; they set up a new one at their next sign-in.")
            % {"username": person.username}
        )
