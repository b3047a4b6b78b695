"""Directives (speeches, meeting decisions, instructions, documents, inspection feedback), their clauses, and
the focus-area taxonomy (DESIGN §3)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from luoshi.directives.docnumbers import validate_doc_number
from luoshi.organizations.models import Organization


class FocusArea(models.Model):
    """One heading of the deployment's taxonomy of work, e.g. green development or people's livelihood.

    ``keywords`` (one per line) let the drafting help suggest an area for a pasted clause.
    """

    name = models.CharField(_("name"), max_length=60, unique=True)
    code = models.CharField(
        _("code"),
        max_length=40,
        unique=True,
        validators=[
            RegexValidator(r"^[a-z0-9][a-z0-9_-]*$", _("Use lower-case letters, digits, - and _ only."))
        ],
    )
    sort_order = models.IntegerField(_("sort order"), default=0)
    keywords = models.TextField(_("keywords"), blank=True, help_text=_("One keyword or phrase per line."))
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("focus area")
        verbose_name_plural = _("focus areas")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name

    def keyword_list(self) -> list[str]:
        return [line.strip() for line in self.keywords.splitlines() if line.strip()]


class DirectiveLevel(models.TextChoices):
    CENTRAL = "central", _("Central")
    PROVINCIAL = "provincial", _("Provincial")
    MUNICIPAL = "municipal", _("Municipal")
    DISTRICT = "district", _("District or county")
    UNIT = "unit", _("Unit")


class DirectiveKind(models.TextChoices):
    SPEECH = "speech", _("Speech")
    MEETING = "meeting", _("Meeting decision")
    INSTRUCTION = "instruction", _("Leader's instruction")
    DOCUMENT = "document", _("Document")
    INSPECTION = "inspection", _("Inspection feedback")


class Directive(models.Model):
    """Something to carry out: a speech, meeting decision, instruction, document or inspection feedback.

    ``issuing_org`` is the unit in the tree that issued it, or that registered one received from outside
    the tree (the city government for a State Council document); ``issuing_body`` is the issuer as printed.
    """

    title = models.CharField(_("title"), max_length=200)
    issuing_org = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="directives", verbose_name=_("issuing unit")
    )
    issuing_body = models.CharField(_("issuing body"), max_length=100, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=DirectiveLevel.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=DirectiveKind.choices)
    doc_number = models.CharField(
        _("document number"), max_length=60, blank=True, validators=[validate_doc_number]
    )
    issued_on = models.DateField(_("date"))
    full_text = models.TextField(_("full text"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("registered by"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("directive")
        verbose_name_plural = _("directives")
        ordering = ["-issued_on", "-id"]
        constraints = [
            # The number names the issuer and year, so one number is one document.
            models.UniqueConstraint(
                fields=["doc_number"], condition=~Q(doc_number=""), name="directive_unique_doc_number"
            ),
        ]
        indexes = [models.Index(fields=["issuing_org", "issued_on"], name="directive_issuer_idx")]

    def __str__(self) -> str:
        return f"{self.title} {self.doc_number}".strip()


class ClauseKind(models.TextChoices):
    DEMAND = "demand", _("Demand")
    PROBLEM = "problem", _("Reported problem")


class ProblemSource(models.TextChoices):
    """Who found a problem of a rectification list (问题来源)."""

    CENTRAL = "central", _("Central inspection")
    PROVINCIAL = "provincial", _("Provincial inspection")
    SELF_FOUND = "self_found", _("Found by ourselves")


class DeadlineType(models.TextChoices):
    """How a problem must be fixed (整改时限): at once, by a date, or as lasting work."""

    IMMEDIATE = "immediate", _("Fix now")
    BY_DATE = "by_date", _("Fix by a date")
    ONGOING = "ongoing", _("Ongoing")


class Clause(models.Model):
    """One demand of a directive, or one problem an inspection reported, quoted from its text in order.

    A problem (``kind`` problem, on an inspection directive) is one row of the rectification list (整改台账):
    it also carries where it came from, how soon it must be fixed and the measures decided for it.
    """

    directive = models.ForeignKey(
        Directive, on_delete=models.CASCADE, related_name="clauses", verbose_name=_("directive")
    )
    ordinal = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=16, choices=ClauseKind.choices, default=ClauseKind.DEMAND)
    # The heading of the directive's text the clause sits under (e.g. "二、推动绿色发展"), for grouping.
    heading = models.CharField(_("heading"), max_length=200, blank=True)
    text = models.TextField(_("text"))
    focus_area = models.ForeignKey(
        FocusArea,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clauses",
        verbose_name=_("focus area"),
    )
    # --- rectification (problems only; blank for demands) ---
    problem_source = models.CharField(
        _("problem source"), max_length=16, choices=ProblemSource.choices, blank=True
    )
    deadline_type = models.CharField(
        _("deadline type"), max_length=16, choices=DeadlineType.choices, blank=True
    )
    fix_by = models.DateField(_("fix by"), null=True, blank=True)
    # One measure per line.
    measures = models.TextField(_("rectification measures"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("clause")
        verbose_name_plural = _("clauses")
        ordering = ["directive", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["directive", "ordinal"], name="clause_unique_ordinal"),
            models.CheckConstraint(
                condition=~Q(deadline_type="by_date") | Q(fix_by__isnull=False),
                name="clause_by_date_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ordinal}. {self.text[:40]}"

    def measure_list(self) -> list[str]:
        return [line.strip() for line in self.measures.splitlines() if line.strip()]


class ConveyanceMethod(models.TextChoices):
    MEETING = "meeting", _("Meeting")
    STUDY_SESSION = "study_session", _("Study session")
    OTHER = "other", _("Other")


class ConveyanceRecord(models.Model):
    """A unit conveyed and studied a directive (传达学习): when, how, who took part (DESIGN §3).

    A unit may record several (a Party group meeting, then a study session); a unit with none has not yet
    conveyed it.
    """

    directive = models.ForeignKey(
        Directive, on_delete=models.PROTECT, related_name="conveyances", verbose_name=_("directive")
    )
    org = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="conveyances", verbose_name=_("unit")
    )
    method = models.CharField(_("form"), max_length=16, choices=ConveyanceMethod.choices)
    held_on = models.DateField(_("date"))
    attendee_count = models.PositiveIntegerField(_("attendees"))
    # Names of those present, one per line or separated by commas, as the unit keeps them.
    attendee_names = models.TextField(_("names of attendees"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("conveyance record")
        verbose_name_plural = _("conveyance records")
        ordering = ["directive", "held_on", "id"]
        indexes = [models.Index(fields=["directive", "org"], name="conveyance_directive_org_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(attendee_count__gte=1), name="conveyance_has_attendees"),
        ]

    def __str__(self) -> str:
        return f"{self.directive} · {self.org} · {self.held_on}"
