"""The ledger of a unit's whole subtree is read by a written-out statement
(``selectors.subtree_ledger_page``) for readers whose scopes hold the subtree: it must answer exactly what
``ledger_page(ledger(...))`` answers (rows, values and their types, count, page and cursor) on every page,
and leave every other request to the ORM path."""

from __future__ import annotations

from datetime import date

import pytest

from luoshi.api.pagination import CursorPageInput
from luoshi.core.errors import ValidationFailed
from luoshi.tasks import api, selectors, workflow
from luoshi.tasks.schemas import LEDGER_COLUMNS, LedgerFilters


@pytest.fixture
def ledger_tasks(desk):
    """Tasks on three deadlines (so pages end inside runs of equal dates), some with a handler, one
    with a subtask, one with only a cancelled subtask, and one led by the other district."""
    city = desk.city
    made = []
    for n in range(9):
        made.append(
            desk.city_task(
                title=f"台账任务{n}",
                due=date(2024, 4 + n % 3, 28),
                handler=city.wang if n % 2 else None,
            )
        )
    desk.city_task(title="铁东区任务", lead=city.tiedong)
    parent = workflow.task_acknowledge(actor=city.wang, task=made[0], version=made[0].version)
    desk.street_task(parent)
    other = workflow.task_acknowledge(actor=city.wang, task=made[1], version=made[1].version)
    sub = desk.street_task(other)
    workflow.task_cancel(actor=desk.tiexi_head, task=sub, version=sub.version, reason="重复")
    return made


def orm_walk(user, org, size):
    pages = [selectors.ledger_page(selectors.ledger(user=user, org=org), size=size, columns=LEDGER_COLUMNS)]
    while pages[-1].next is not None:
        pages.append(
            selectors.ledger_page(
                selectors.ledger(user=user, org=org), size=size, after=pages[-1].next, columns=LEDGER_COLUMNS
            )
        )
    return pages


def written_walk(user, org, size):
    pages = [selectors.subtree_ledger_page(user=user, org=org, size=size, columns=LEDGER_COLUMNS)]
    while pages[-1] is not None and pages[-1].next is not None:
        pages.append(
            selectors.subtree_ledger_page(
                user=user, org=org, size=size, after=pages[-1].next, columns=LEDGER_COLUMNS
            )
        )
    return pages


def typed(page):
    """The page with each value's type beside it: equal values of another type (1 for True, a date's
    text for the date) would still answer differently."""
    return [{name: (type(value), value) for name, value in row.items()} for row in page.items]


@pytest.mark.parametrize("size", [1, 2, 3, 50])
@pytest.mark.parametrize(("reader", "unit"), [("wang", "tiexi"), ("zhao", "tiexi"), ("zhao", "government")])
def test_every_page_is_the_orm_page(desk, ledger_tasks, size, reader, unit):
    user, org = getattr(desk.city, reader), getattr(desk.city, unit)
    expected = orm_walk(user, org, size)
    got = written_walk(user, org, size)
    assert got == expected
    assert [typed(p) for p in got] == [typed(p) for p in expected]
    assert sum(len(p.items) for p in got) == expected[0].count
    # The rows cover what the page shows: a handler or none, a subtask or only a cancelled one.
    rows = [row for p in got for row in p.items]
    assert {row["has_subtasks"] for row in rows} == {True, False}
    assert {row["handler_id"] is None for row in rows} == {True, False}


def test_an_empty_unit(desk, ledger_tasks):
    page = selectors.subtree_ledger_page(
        user=desk.city.zhao, org=desk.city.ecology_bureau, size=3, columns=LEDGER_COLUMNS
    )
    assert page == selectors.ledger_page(
        selectors.ledger(user=desk.city.zhao, org=desk.city.ecology_bureau), size=3, columns=LEDGER_COLUMNS
    )
    assert page is not None
    assert page.items == []
    assert page.next is None


def test_readers_whose_scope_does_not_hold_the_subtree_take_the_orm_path(desk, ledger_tasks):
    # 陈刚 works in the street below 铁西区: he sees the district, not all its tasks.
    city = desk.city
    assert (
        selectors.subtree_ledger_page(user=city.chen, org=city.tiexi, size=3, columns=LEDGER_COLUMNS) is None
    )
    assert (
        selectors.subtree_ledger_page(user=city.sun, org=city.tiexi, size=3, columns=LEDGER_COLUMNS) is None
    )


def test_columns_it_cannot_read_take_the_orm_path(desk, ledger_tasks):
    city = desk.city
    for columns in (["id", "description__x"], ["id", "clause__text"], ["cooperating_orgs"], ["nonsense"]):
        assert selectors.subtree_ledger_page(user=city.wang, org=city.tiexi, size=3, columns=columns) is None


def test_a_bad_cursor_is_refused_as_the_orm_path_refuses_it(desk, ledger_tasks):
    city = desk.city
    by_light = selectors.ledger_page(
        selectors.ledger(user=city.wang, org=city.tiexi, sort="light"), size=2, columns=LEDGER_COLUMNS
    ).next
    for token in ("not-a-cursor", by_light, "eyJvIjpbImR1ZV9vbiIsInBrIl0sImsiOltudWxsLDFdLCJuIjoyfQ"):
        with pytest.raises(ValidationFailed) as orm:
            selectors.ledger_page(
                selectors.ledger(user=city.wang, org=city.tiexi), size=2, after=token, columns=LEDGER_COLUMNS
            )
        with pytest.raises(ValidationFailed) as written:
            selectors.subtree_ledger_page(
                user=city.wang, org=city.tiexi, size=2, after=token, columns=LEDGER_COLUMNS
            )
        assert (written.value.message, written.value.fields) == (orm.value.message, orm.value.fields)


@pytest.mark.parametrize(
    ("filters", "pagination", "written"),
    [
        ({}, {}, True),
        ({}, {"page": 1}, True),
        ({}, {"page_size": 2}, True),
        ({}, {"page": 2}, False),
        ({"sort": "-due_on"}, {}, False),
        ({"light": ["green"]}, {}, False),
        ({"status": ["in_progress"]}, {}, False),
        ({"q": "台账"}, {}, False),
        ({"due_from": date(2024, 5, 1)}, {}, False),
    ],
)
def test_the_endpoint_writes_out_only_the_plain_request(desk, ledger_tasks, filters, pagination, written):
    city = desk.city
    query = LedgerFilters(org=city.tiexi.pk, **filters)
    paging = CursorPageInput(**pagination)
    size = paging.page_size or 50
    fast = api._subtree_page(city.wang, city.tiexi, query, paging, size)
    assert (fast is not None) == written
    if fast is not None:
        assert fast == api._ledger_page(city.wang, city.tiexi, query, paging, size)
        following = CursorPageInput(after=fast.next, page_size=paging.page_size) if fast.next else None
        if following is not None:
            assert api._subtree_page(city.wang, city.tiexi, query, following, size) == api._ledger_page(
                city.wang, city.tiexi, query, following, size
            )
    # Both page and cursor: the ORM path refuses it.
    assert api._subtree_page(city.wang, city.tiexi, query, CursorPageInput(page=1, after="x"), size) is None
