"""The demo city seeds three different people with the three duties and lists them with its accounts."""

from __future__ import annotations

from luoshi.demo import city
from luoshi.duties.models import Duty, DutyGrant


def test_the_demo_city_has_three_people_for_three_duties(db):
    city.build_city()
    holders = {g.duty: g.user.username for g in DutyGrant.objects.active().select_related("user")}
    assert holders == {Duty.SYSTEM: "admin", Duty.SECURITY: "xuqing", Duty.AUDIT: "yanlan"}
    accounts = {a.username: a for a in city.demo_accounts(admin_password=city.DEMO_PASSWORD)}
    assert "Security administrator" in accounts["xuqing"].role or "安全管理员" in accounts["xuqing"].role
    assert accounts["yanlan"].duty == Duty.AUDIT
    # Listed right after the personas.
    order = [a.username for a in city.demo_accounts(admin_password=city.DEMO_PASSWORD)]
    assert order[len(city.PERSONAS) : len(city.PERSONAS) + 2] == ["xuqing", "yanlan"]
