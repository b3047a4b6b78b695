"""``luoshi createadmin``: the first administrator of an installation (or another one later)."""

from __future__ import annotations

import getpass
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from luoshi.core.errors import ValidationFailed
from luoshi.core.management.commands._options import add_data_dir_argument, check_data_dir
from luoshi.duties import services as duty_services
from luoshi.duties.models import Duty
from luoshi.organizations import services as orgs
from luoshi.organizations.models import Organization, Role


class Command(BaseCommand):
    help = _(
        "Create an administrator account. By default a superuser (who may do everything, as the first "
        "account of a new installation must) and the administrator of the top-level organisation."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--username", default="admin", help=_("Sign-in name (default admin)."))
        parser.add_argument("--name", default="", help=_("Name shown in the app (default: the username)."))
        parser.add_argument("--email", default="", help=_("E-mail address."))
        parser.add_argument(
            "--organization",
            metavar="NAME_OR_ID",
            help=_(
                "Unit this person administers (default: the top-level unit, when there is exactly one; "
                "none in an empty installation)."
            ),
        )
        parser.add_argument(
            "--password",
            help=_("Password (asked for when omitted; on shared machines prefer the prompt)."),
        )
        parser.add_argument(
            "--no-superuser",
            dest="superuser",
            action="store_false",
            help=_("An administrator of --organization only, without superuser rights."),
        )
        parser.add_argument(
            "--duty",
            choices=Duty.values,
            help=_(
                "Give the account one of the three separate duties. A superuser is the system "
                "administrator; security and audit administrators get neither superuser rights nor an "
                "administrator post, so this is how an installation gets its first of each."
            ),
        )
        add_data_dir_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        check_data_dir(options)
        duty = options["duty"] or (Duty.SYSTEM if options["superuser"] else "")
        if duty in {Duty.SECURITY, Duty.AUDIT}:
            # Separation of duties: administering units and people is the system administrator's.
            options["superuser"] = False
            org = None
        else:
            org = self._organization(options["organization"])
            if org is None and not options["superuser"]:
                raise CommandError(_("An administrator without superuser rights needs --organization."))
        password = options["password"] or self._ask_password()
        try:
            # The account and its duty together, or neither.
            with transaction.atomic():
                person = orgs.person_create(
                    actor=None,
                    username=options["username"],
                    display_name=options["name"] or options["username"],
                    email=options["email"],
                    password=password,
                    memberships=[(org, Role.ADMIN, "")] if org else [],
                    is_superuser=options["superuser"],
                )
                if duty:
                    duty_services.duty_grant(
                        actor=None, person=person, duty=duty, reason="luoshi createadmin"
                    )
        except ValidationFailed as exc:
            problems = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in exc.fields.items())
            raise CommandError(f"{exc.message} {problems}".strip()) from exc
        if duty in {Duty.SECURITY, Duty.AUDIT}:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Created %(username)s (%(duty)s).")
                    % {"username": person.username, "duty": Duty(duty).label}
                )
            )
            return
        kind = _("superuser") if person.is_superuser else _("administrator")
        where = (
            _("administrator of %(unit)s") % {"unit": org.name}
            if org
            else _("no unit yet: add one in the app, then give this person a role there")
        )
        self.stdout.write(
            self.style.SUCCESS(
                _("Created %(username)s (%(kind)s; %(where)s).")
                % {"username": person.username, "kind": kind, "where": where}
            )
        )

    def _organization(self, wanted: str | None) -> Organization | None:
        if wanted:
            matches = list(
                Organization.objects.filter(pk=int(wanted))
                if wanted.isdigit()
                else Organization.objects.none()
            ) or list(Organization.objects.filter(name=wanted.strip()))
            if not matches:
                raise CommandError(_("No organisation is named %(name)s.") % {"name": wanted})
            if len(matches) > 1:
                raise CommandError(
                    _("Several organisations are named %(name)s; give the id instead: %(ids)s.")
                    % {"name": wanted, "ids": ", ".join(str(o.pk) for o in matches)}
                )
            return matches[0]
        roots = list(Organization.objects.filter(parent__isnull=True)[:2])
        if len(roots) > 1:
            raise CommandError(
                _("There are several top-level organisations; choose one with --organization.")
            )
        return roots[0] if roots else None

    def _ask_password(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError(_("Give --password, or run the command in a terminal to be asked for it."))
        first = getpass.getpass(_("Password: "))
        if getpass.getpass(_("Password (again): ")) != first:
            raise CommandError(_("The two passwords differ."))
        return first
