"""The task loop in headless Chromium, through the real pages, by the people whose work it is.

1. The issue's scenario: a supervisor registers a directive with a clause and a task for a district; the
   district's handler acknowledges it and reports 100 % with a file; the supervisor accepts; the task shows
   closed on time, and its parent (the clause, on the directive page) shows the new light and progress.
2. Journey 3 on a phone: the street's handler reports 60 % with two photos on a subtask, and the district's
   parent task shows the new progress and light at once.

The pages are read in English (a browser asking for English), so the assertions do not depend on the
state of the Chinese catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from luoshi.organizations.models import User
from luoshi.tasks import rollup, services, workflow
from luoshi.tasks.models import Task, TaskStatus
from tests.browser.conftest import TIMEOUT_MS
from tests.conftest import PASSWORD
from tests.evidence import samples

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def people(browser: Browser, live_server) -> Iterator:
    """Opens a signed-in English page for a persona, each in a browser profile of its own."""
    contexts: list[BrowserContext] = []

    def open_as(user: User, *, phone: bool = False) -> Page:
        options = {"locale": "en-US", "timezone_id": "Asia/Shanghai"}
        if phone:
            options |= {"viewport": PHONE, "is_mobile": True, "has_touch": True}
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        form = page.locator("form").filter(has=page.locator("input[name=password]"))
        form.locator("input[name=username]").fill(user.username)
        form.locator("input[name=password]").fill(PASSWORD)
        form.locator("[type=submit]").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture
def day_and_files(settings, tmp_path: Path) -> Path:
    settings.LUOSHI_TODAY = "2024-03-01"
    settings.MEDIA_ROOT = tmp_path / "media"
    photos = tmp_path / "upload"
    photos.mkdir()
    return photos


def test_supervisor_to_district_and_back_closes_on_time(
    transactional_db, live_server, city, people, day_and_files
):
    base = live_server.url
    photo = day_and_files / "整改后现场.png"
    photo.write_bytes(samples.png())

    # Zhao registers the directive, its clause, and a task for 铁西区.
    zhao = people(city.zhao)
    zhao.goto(f"{base}/directives/new/")
    form = zhao.locator("form.form-card")
    form.locator("[name=title]").fill("市政府第12次常务会议纪要")
    form.locator("[name=level]").select_option("municipal")
    form.locator("[name=kind]").select_option("meeting")
    form.get_by_role("button", name="Register").click()
    expect(zhao.get_by_role("heading", level=1)).to_have_text("市政府第12次常务会议纪要")
    directive_url = zhao.url

    zhao.get_by_role("link", name="Add a clause").first.click()
    zhao.locator("form.form-card [name=text]").fill("加快推进老旧小区改造，年底前全部完工。")
    zhao.get_by_role("button", name="Add the clause", exact=True).click()
    expect(zhao.get_by_text("Not yet decomposed").first).to_be_visible()

    zhao.get_by_role("link", name=re.compile("^Add a task")).first.click()
    form = zhao.locator("form.form-card")
    form.locator("[name=title]").fill("铁西区老旧小区改造")
    form.locator("[name=lead_org]").select_option(str(city.tiexi.pk))
    form.locator("[name=due_on]").fill("2024-06-28")
    form.get_by_role("button", name="Create the task").click()
    clause = zhao.locator(".clause-item").first
    expect(clause.locator(".clause-facts .light")).to_contain_text("Green light")
    expect(clause.locator(".t-progress")).to_contain_text("0%")

    # Wang finds it in My work, acknowledges it and reports 100 % with a photo.
    wang = people(city.wang)
    wang.goto(f"{base}/my-work/")
    wang.get_by_role("link", name="铁西区老旧小区改造").first.click()
    expect(wang.locator(".state")).to_contain_text("Assigned")
    wang.get_by_role("button", name="Acknowledge").click()
    expect(wang.locator("#action-done")).to_have_text("Acknowledged: the task is now in progress.")
    expect(wang.locator(".state")).to_contain_text("In progress")

    wang.locator("summary", has_text="Report progress").click()
    report = wang.locator("form[action$='/report/']")
    report.locator("[name=progress]").fill("100")
    report.locator("[name=narrative]").fill("12个小区改造全部完工")
    report.locator("[name=files]").set_input_files(str(photo))
    report.get_by_role("button", name="Report progress").click()
    expect(wang.locator("#action-done")).to_have_text("Your report is saved.")
    expect(wang.locator(".task-head .progress-text")).to_contain_text("100%")
    file_link = wang.locator(".timeline").get_by_role("link", name="整改后现场.png")
    expect(file_link).to_be_visible()
    download = wang.request.get(base + (file_link.get_attribute("href") or ""))
    assert download.status == 200
    assert download.body().startswith(b"\x89PNG")

    wang.locator("summary", has_text="Request completion").click()
    completion = wang.locator("form[action$='/request-completion/']")
    completion.locator("[name=note]").fill("已全部完工，附照片")
    completion.get_by_role("button", name="Request completion").click()
    expect(wang.locator(".state")).to_contain_text("Under review")

    # Zhao verifies and accepts: the task closes on time.
    zhao.goto(wang.url)
    zhao.locator("summary", has_text="Accept").click()
    zhao.locator("form[action$='/accept/']").get_by_role("button", name="Accept").click()
    expect(zhao.locator("#action-done")).to_have_text("Accepted.")
    expect(zhao.locator(".state")).to_contain_text("Closed")
    expect(zhao.locator(".task-facts")).to_contain_text("closed on time")
    expect(zhao.locator(".task-head .light")).to_contain_text("Closed")
    task = Task.objects.get(title="铁西区老旧小区改造")
    assert (task.status, task.closed_late) == (TaskStatus.CLOSED, False)

    # The parent, the clause on the directive page, now shows the closed light and full progress.
    zhao.goto(directive_url)
    clause = zhao.locator(".clause-item").first
    expect(clause.locator(".clause-facts .light")).to_contain_text("Closed")
    expect(clause.locator(".t-progress")).to_contain_text("100%")


def test_the_street_reports_from_a_phone_and_the_parent_follows(
    transactional_db, live_server, city, people, day_and_files, settings
):
    base = live_server.url
    photos = [day_and_files / "外墙.png", day_and_files / "管网.png"]
    for photo in photos:
        photo.write_bytes(samples.png())
    parent = services.task_create(
        actor=city.zhao,
        assigning_org=city.government,
        lead_org=city.tiexi,
        title="铁西区老旧小区改造",
        due_on=date(2024, 6, 28),
    )
    parent = workflow.task_assign(actor=city.zhao, task=parent, version=parent.version)
    parent = workflow.task_acknowledge(actor=city.wang, task=parent, version=parent.version)
    sub = services.task_decompose(
        actor=city.wang,
        parent=parent,
        version=parent.version,
        lead_org=city.tiexi_street,
        title="兴盛街道外墙改造",
        due_on=date(2024, 6, 28),
    )
    sub = workflow.task_assign(actor=city.wang, task=sub, version=sub.version)
    workflow.task_acknowledge(actor=city.chen, task=sub, version=sub.version)
    # Six weeks later nothing has been reported: far behind, and the April report is late.
    settings.LUOSHI_TODAY = "2024-04-15"
    rollup.repair(today=date(2024, 4, 15))

    wang = people(city.wang)
    wang.goto(f"{base}/tasks/{parent.pk}/")
    expect(wang.locator(".task-head .light")).to_contain_text("Red light")
    expect(wang.locator(".task-head .progress-text")).to_contain_text("0%")

    chen = people(city.chen, phone=True)
    chen.goto(f"{base}/tasks/{sub.pk}/")
    expect(chen.locator(".task-head .light")).to_contain_text("Red light")
    chen.locator("summary", has_text="Report progress").click()
    report = chen.locator("form[action$='/report/']")
    report.locator("[name=progress]").fill("60")
    report.locator("[name=narrative]").fill("外墙保温完成六成")
    report.locator("[name=files]").set_input_files([str(p) for p in photos])
    button = report.get_by_role("button", name="Report progress")
    box = button.bounding_box()
    assert box is not None
    assert box["height"] >= 44  # a tap target a thumb can hit
    button.click()
    expect(chen.locator("#action-done")).to_have_text("Your report is saved.")
    expect(chen.locator(".task-head .light")).to_contain_text("Green light")
    for photo in photos:
        expect(chen.locator(".timeline").get_by_role("link", name=photo.name)).to_be_visible()
    # Nothing on the page is wider than the phone.
    assert chen.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The district's parent task follows at once: its progress and light are its child's.
    wang.reload()
    expect(wang.locator(".task-head .progress-text")).to_contain_text("60%")
    expect(wang.locator(".task-head .light")).to_contain_text("Green light")
    expect(wang.locator(".subtasks")).to_contain_text("兴盛街道外墙改造")
