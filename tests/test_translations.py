"""The translation catalogues: complete, well-formed, and compiled.

``makemessages`` writes ``locale/<lang>/LC_MESSAGES/django.po``; Django reads only the compiled ``.mo`` next
to it, which is committed because production machines have no gettext tools. These tests fail when a
string is left untranslated or fuzzy, when a translation loses or changes a placeholder (a ``KeyError``
or a wrong number at run time), and when someone edits the ``.po`` and forgets ``compilemessages``.
"""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.utils import translation

import luoshi

LOCALE_DIR = Path(luoshi.__file__).resolve().parent / "locale"
PO_FILES = sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))

# %(name)s, %(seconds).1f, %d, %s ... and the escaped %%; the same pattern Python's % operator accepts.
PERCENT_PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrsa%]"
)
BRACE_PLACEHOLDER = re.compile(r"(?<!\{)\{([^{}]*)\}(?!\})")
CJK = re.compile(r"[\u3400-\u9fff]")
# Translations that may rightly contain no Chinese character (product names, codes): none so far.
# List separators: Chinese writes "；" and "，" where English writes "; " and ", ".
NOT_CHINESE_ON_PURPOSE: set[str] = {"; ", ", "}


def _id(path: Path) -> str:
    return str(path.relative_to(LOCALE_DIR))


def _translations(entry: polib.POEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def _percent_tokens(text: str) -> list[str]:
    return sorted(match.group(0) for match in PERCENT_PLACEHOLDER.finditer(text))


def _sample_values(text: str) -> dict[str, object]:
    return {match.group("name"): 1 for match in PERCENT_PLACEHOLDER.finditer(text) if match.group("name")}


def _where(entry: polib.POEntry) -> str:
    where = ", ".join(f"{path}:{line}" for path, line in entry.occurrences[:3])
    return f"{entry.msgid!r} ({where})"


def test_there_is_a_chinese_catalogue():
    assert LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po" in PO_FILES


@pytest.mark.parametrize("po_path", PO_FILES, ids=_id)
class TestCatalogue:
    def test_header(self, po_path):
        po = polib.pofile(str(po_path))
        assert not po.metadata_is_fuzzy, "remove the fuzzy flag from the header"
        assert po.metadata["Content-Type"] == "text/plain; charset=UTF-8"
        assert po.metadata["Language"] == po_path.parent.parent.name
        placeholders = ("PACKAGE", "YEAR", "FULL NAME", "EMAIL@ADDRESS", "LANGUAGE <LL@li.org>")
        for key, value in po.metadata.items():
            assert not any(p in value for p in placeholders), f"placeholder left in header {key}: {value}"
        if po_path.parent.parent.name.startswith("zh"):
            assert po.metadata["Plural-Forms"] == "nplurals=1; plural=0;"

    def test_every_entry_is_translated_and_current(self, po_path):
        po = polib.pofile(str(po_path))
        assert len(po) > 0
        fuzzy = [_where(e) for e in po if "fuzzy" in e.flags and not e.obsolete]
        untranslated = [_where(e) for e in po.untranslated_entries()]
        obsolete = [repr(e.msgid) for e in po.obsolete_entries()]
        assert not fuzzy, f"fuzzy entries (check, then remove the flag): {fuzzy}"
        assert not untranslated, f"untranslated entries: {untranslated}"
        assert not obsolete, f"obsolete entries (#~), delete them: {obsolete}"

    def test_plural_forms_are_all_filled(self, po_path):
        po = polib.pofile(str(po_path))
        nplurals = int(re.search(r"nplurals\s*=\s*(\d+)", po.metadata["Plural-Forms"]).group(1))
        for entry in po:
            if entry.msgid_plural:
                assert sorted(entry.msgstr_plural) == list(range(nplurals)), _where(entry)
                assert all(entry.msgstr_plural.values()), _where(entry)

    def test_placeholders_are_kept(self, po_path):
        po = polib.pofile(str(po_path))
        problems = []
        for entry in po:
            sources = [entry.msgid, entry.msgid_plural] if entry.msgid_plural else [entry.msgid]
            if "python-format" in entry.flags:
                expected = sorted(set().union(*(_percent_tokens(s) for s in sources)) - {"%%"})
                values = _sample_values(" ".join(sources))
                for text in _translations(entry):
                    found = sorted(set(_percent_tokens(text)) - {"%%"})
                    if found != expected:
                        problems.append(f"{_where(entry)}: {found} instead of {expected}")
                        continue
                    try:
                        text % values
                    except (KeyError, ValueError, TypeError) as exc:
                        problems.append(f"{_where(entry)}: {text!r} cannot be formatted ({exc!r})")
            if "python-brace-format" in entry.flags:
                expected = sorted(set().union(*(BRACE_PLACEHOLDER.findall(s) for s in sources)))
                for text in _translations(entry):
                    found = sorted(set(BRACE_PLACEHOLDER.findall(text)))
                    if found != expected:
                        problems.append(f"{_where(entry)}: {found} instead of {expected}")
        assert not problems, "\n".join(problems)

    def test_chinese_translations_are_chinese(self, po_path):
        if not po_path.parent.parent.name.startswith("zh"):
            pytest.skip("only for Chinese catalogues")
        po = polib.pofile(str(po_path))
        english = [
            _where(e)
            for e in po.translated_entries()
            if e.msgid not in NOT_CHINESE_ON_PURPOSE and not all(CJK.search(t) for t in _translations(e))
        ]
        assert not english, f"translations without a Chinese character (copied English?): {english}"

    def test_the_compiled_catalogue_matches(self, po_path):
        mo_path = po_path.with_suffix(".mo")
        assert mo_path.exists(), f"run compilemessages: {mo_path} is missing"
        po = polib.pofile(str(po_path))
        mo = polib.mofile(str(mo_path))

        def pairs(entries: list) -> dict[tuple[str | None, str], object]:
            return {(e.msgctxt, e.msgid): tuple(_translations(e)) for e in entries if e.msgid}

        # msgfmt leaves fuzzy and untranslated entries out of the .mo, and so does Django at run time.
        po_pairs = pairs(po.translated_entries())
        mo_pairs = pairs(list(mo))
        stale = sorted(
            str(key[1]) for key in po_pairs.keys() | mo_pairs.keys() if po_pairs.get(key) != mo_pairs.get(key)
        )
        assert not stale, (
            f"{mo_path.name} is out of date for {len(stale)} message(s), e.g. {stale[:5]}: run "
            "`uv run python -m django compilemessages --settings=luoshi.config.settings` in src/luoshi"
        )
        assert mo.metadata.get("Plural-Forms") == po.metadata.get("Plural-Forms")


def test_django_serves_the_chinese_catalogue():
    with translation.override("zh-hans"):
        organisations = translation.gettext("Organisations")
        units = translation.ngettext("%(counter)s unit", "%(counter)s units", 3) % {"counter": 3}
        lead_unit = translation.gettext("lead unit")
    assert CJK.search(organisations), organisations
    assert CJK.search(units), units
    assert "3" in units
    assert lead_unit == "牵头单位"  # the glossary's term for 牵头单位
    with translation.override("en"):
        assert translation.gettext("Organisations") == "Organisations"
