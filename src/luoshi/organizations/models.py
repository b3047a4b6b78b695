"""The organisation tree, the people in it, and their roles."""

from __future__ import annotations

import datetime
from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from luoshi.core import trees
from luoshi.core.fields import EncryptedTextField

region_code_validator = RegexValidator(
    r"^[1-9]\d{5}$", _("A region code is six digits and does not start with 0, e.g. 210302.")
)

# GB 11643-1999: 17 digits weighted by 2^(17-i) mod 11; the remainder picks the check character.
ID_NUMBER_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_NUMBER_CHECK = "10X98765432"


def id_number_check_character(first17: str) -> str:
    """The 18th character of a citizen identity number whose first 17 digits are ``first17``."""
    return ID_NUMBER_CHECK[sum(int(d) * w for d, w in zip(first17, ID_NUMBER_WEIGHTS, strict=True)) % 11]


def validate_id_number(value: str) -> None:
    """An 18-character citizen identity number (GB 11643): region, birth date, sequence, check character."""
    number = value.strip().upper()
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(
            _("An ID number has 18 characters: 17 digits, then a digit or X."), code="id_number_format"
        )
    try:
        born = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        born = None
    if number[0] == "0" or born is None or born.year < 1900:
        raise ValidationError(
            _("This ID number does not hold a valid region and birth date."), code="id_number_date"
        )
    if id_number_check_character(number[:17]) != number[17]:
        raise ValidationError(
            _("This ID number's last character does not match: please check it for a typing error."),
            code="id_number_checksum",
        )


class OrganizationKind(models.TextChoices):
    GOVERNMENT = "government", _("Government")
    PARTY = "party", _("Party committee")
    DEPARTMENT = "department", _("Department")
    DISTRICT = "district", _("District or county")
    TOWNSHIP = "township", _("Township or street")
    COMMUNITY = "community", _("Community or village")


# Kinds whose subtree is a jurisdiction: a supervisor working in any unit under one of them oversees it all.
JURISDICTION_KINDS = (OrganizationKind.GOVERNMENT, OrganizationKind.DISTRICT, OrganizationKind.TOWNSHIP)


class OrganizationQuerySet(models.QuerySet["Organization"]):
    def in_subtree(self, root: Organization) -> OrganizationQuerySet:
        return self.filter(trees.subtree_q("path", root.path))

    def ancestors_of(self, node: Organization) -> OrganizationQuerySet:
        return self.filter(path__in=trees.ancestor_paths(node.path))

    def active(self) -> OrganizationQuerySet:
        return self.filter(is_active=True)


class Organization(models.Model):
    """A unit in the tree: a government, bureau, district, township or community (any depth)."""

    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )
    # Materialized path of zero-padded ids, root first; see luoshi.core.trees.
    path = models.CharField(_("path"), max_length=250, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=1, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=OrganizationKind.choices)
    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    region_code = models.CharField(
        _("region code"), max_length=6, null=True, blank=True, unique=True, validators=[region_code_validator]
    )
    duties = models.TextField(_("duties"), blank=True)
    sort_order = models.IntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects: ClassVar[OrganizationQuerySet] = OrganizationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["path"]
        constraints = [
            # Sibling units may not share a name: imports and people match units by name.
            models.UniqueConstraint(fields=["parent", "name"], name="org_unique_name_per_parent"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(parent__isnull=True), name="org_unique_root_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    def is_in_subtree_of(self, other: Organization) -> bool:
        return trees.is_within(self.path, other.path)

    def jurisdiction_path(self) -> str:
        """The path of the nearest ancestor-or-self whose kind is a jurisdiction (see JURISDICTION_KINDS).

        Needs the ancestors' kinds, so callers pass them in through ``ancestor_kinds`` when on a hot path;
        here it is looked up in one query.
        """
        if self.kind in JURISDICTION_KINDS:
            return self.path
        nearest = (
            Organization.objects.filter(path__in=trees.ancestor_paths(self.path), kind__in=JURISDICTION_KINDS)
            .order_by("-depth")
            .values_list("path", flat=True)
            .first()
        )
        return nearest or self.path


class Role(models.TextChoices):
    LEADER = "leader", _("Leader")
    HEAD = "head", _("Unit head")
    HANDLER = "handler", _("Handler")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Administrator")


class LanguageChoice(models.TextChoices):
    UNSET = "", _("Follow the browser")
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class User(AbstractUser):
    """A person who signs in to Luoshi; where they work and what they may do comes from memberships."""

    display_name = models.CharField(_("name"), max_length=60, blank=True)
    # Encrypted at rest (luoshi.core.fields): neither can be searched or sorted in the database.
    phone = EncryptedTextField(_("phone"), max_length=30, blank=True)
    id_number = EncryptedTextField(
        _("ID number"),
        max_length=18,
        blank=True,
        validators=[validate_id_number],
        help_text=_("Resident identity card number (18 characters); optional."),
    )
    language = models.CharField(
        _("language"), max_length=10, choices=LanguageChoice.choices, blank=True, default=LanguageChoice.UNSET
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    objects: ClassVar[UserManager[User]] = UserManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.name_of(self.display_name, self.first_name, self.last_name, self.username)

    @staticmethod
    def name_of(display_name: str, first_name: str, last_name: str, username: str) -> str:
        """How a person is named everywhere, from the columns alone (for reads that skip the model)."""
        return display_name or f"{first_name} {last_name}".strip() or username

    @property
    def name(self) -> str:
        return str(self)


class Membership(models.Model):
    """A person's role in one organisation; a person may hold several."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("person")
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("organisation")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    title = models.CharField(_("post"), max_length=60, blank=True)
    is_primary = models.BooleanField(_("primary"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organization__path", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization", "role"], name="membership_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} · {self.get_role_display()}"
