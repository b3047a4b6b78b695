"""The analyser on its own (no database): headings, clauses with exact spans, run-on sentences,
report-style texts, context kept visible, suggestions, and refusals of bad input."""

from __future__ import annotations

from datetime import date

import pytest

from luoshi.drafting.analysis import AnalysisError, AreaTerms, PastClause, UnitTerms, analyze, content_words
from luoshi.drafting.taxonomy import DEFAULT_AREAS

REF = date(2024, 3, 1)


def run(text, **kwargs):
    return analyze(text, reference=REF, areas=DEFAULT_AREAS, **kwargs)


def test_spans_are_exact_and_clauses_sit_under_their_headings():
    text = (
        "一、坚持绿色发展\n（一）打好蓝天保卫战。要在10月底前完成燃煤锅炉淘汰。\n"
        "二、改善民生\n要新增就业岗位2万个。"
    )
    result = run(text)
    assert [(h.level, h.text) for h in result.headings] == [
        (1, "一、坚持绿色发展"),
        (2, "（一）打好蓝天保卫战"),
        (1, "二、改善民生"),
    ]
    for item in [*result.headings, *result.clauses, *result.context]:
        assert text[item.start : item.end] == item.text
    first, second = result.clauses
    assert first.heading == "（一）打好蓝天保卫战"
    assert first.focus_code == "green"
    assert first.due_on == date(2024, 10, 31)
    assert second.heading == "二、改善民生"
    assert second.focus_code == "livelihood"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "要深化审批制度改革，推行一网通办，压减企业开办时间。",
            ["要深化审批制度改革", "推行一网通办", "压减企业开办时间"],
        ),
        ("要加快老旧小区改造，确保年底前完成120个小区。", ["要加快老旧小区改造，确保年底前完成120个小区"]),
        (
            "一是推进技术改造，二是延伸产业链，三是培育新企业。",
            ["一是推进技术改造", "二是延伸产业链", "三是培育新企业"],
        ),
        (
            "We must create new jobs, expand childcare places, improve clinics, and raise pensions.",
            ["We must create new jobs", "expand childcare places", "improve clinics", "raise pensions"],
        ),
        (
            "Attract investment for the vehicle supply chain, and report progress quarterly.",
            ["Attract investment for the vehicle supply chain, and report progress quarterly"],
        ),
    ],
    ids=["zh run-on", "zh qualifier stays", "zh 一是二是", "en run-on", "en report stays"],
)
def test_run_on_sentences_split_into_demands(text, expected):
    assert [c.text for c in run(text).clauses] == expected


@pytest.mark.parametrize(
    ("text", "clause", "context_reason"),
    [
        (
            "会议要求，各区县要开展安全隐患排查。市长主持会议，副市长出席。",
            "各区县要开展安全隐患排查",
            "attendance",
        ),
        ("会议强调，要加快燃气管道改造。今年以来全市工作取得明显成效。", "要加快燃气管道改造", "praise"),
        ("会议指出，当前防汛形势严峻。会议决定，建立防汛值班制度。", "建立防汛值班制度", "context"),
        (
            "The meeting noted that air quality improved. "
            "The meeting emphasized that districts must retire coal boilers.",
            "districts must retire coal boilers",
            "context",
        ),
        (
            "The mayor chaired the meeting and the deputy mayors attended. "
            "It is necessary to speed up the renovation of old housing.",
            "speed up the renovation of old housing",
            "attendance",
        ),
    ],
)
def test_report_style_lead_ins_and_context_sentences(text, clause, context_reason):
    result = run(text)
    assert [c.text for c in result.clauses] == [clause]
    assert [c.reason for c in result.context] == [context_reason]


def test_inspection_feedback_lists_problems():
    text = "督察反馈问题\n督察组指出存在以下问题：\n1. 燃煤锅炉淘汰进度滞后。\n2. 扬尘管控不到位。"
    result = run(text)
    assert [(c.kind, c.text) for c in result.clauses] == [
        ("problem", "燃煤锅炉淘汰进度滞后"),
        ("problem", "扬尘管控不到位"),
    ]


def test_units_are_suggested_from_names_duties_and_history():
    units = [
        UnitTerms(
            1,
            "市生态环境局",
            ("市生态环境局", "生态环境局"),
            content_words("负责大气污染防治和扬尘治理监督管理"),
        ),
        UnitTerms(
            2,
            "市住房城乡建设局",
            ("市住房城乡建设局", "住建局"),
            content_words("负责老旧小区改造和燃气管道更新"),
        ),
        UnitTerms(3, "铁西区人民政府", ("铁西区人民政府", "铁西区")),
    ]
    history = [PastClause(content_words("推进老旧小区改造和管网更新"), 3)]
    result = run(
        "生态环境局要加强执法检查。要加快大气污染防治，推进扬尘治理。要推进老旧小区改造和燃气管道更新。",
        units=units,
        history=history,
    )
    named, duties, third, renewal = result.clauses
    assert named.unit_ids[0] == 1
    assert named.unit_reasons[0] == "named"
    assert duties.unit_ids == [1]
    assert duties.unit_reasons == ["duties"]
    assert renewal.unit_ids == [2, 3]
    assert renewal.unit_reasons == ["duties", "history"]
    assert third.text == "推进扬尘治理"


def test_focus_uses_the_deployments_keywords():
    areas = [AreaTerms(7, "roads", "道路", ("路面",)), AreaTerms(8, "water", "水务", ("供水",))]
    [clause] = analyze("要在6月底前完成路面修补。", reference=REF, areas=areas).clauses
    assert (clause.focus_code, clause.focus_id) == ("roads", 7)
    assert clause.due_on == date(2024, 6, 30)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("   \n\n  ", "empty"),
        ("1234 5678 —— !!!", "empty"),
        ("\x00\x01\x02binary" * 10, "binary"),
        ("Городские власти должны завершить ремонт дорог до конца года.", "language"),
        ("市政府は年末までに道路の補修を完了しなければならない。", "language"),
        ("要" * 200_001, "too_long"),
    ],
    ids=["empty", "blank", "no letters", "binary", "russian", "japanese", "too long"],
)
def test_bad_input_is_refused_with_a_reason(text, code):
    with pytest.raises(AnalysisError) as raised:
        analyze(text, reference=REF)
    assert raised.value.code == code


def test_a_time_limit_stops_the_analysis():
    with pytest.raises(AnalysisError) as raised:
        analyze("要加快推进老旧小区改造。\n" * 2000, reference=REF, time_limit=-1)
    assert raised.value.code == "timeout"


def test_firmly_grasp_priorities_group_their_demands():
    english = run(
        "Firmly grasp the key of industrial upgrading:\n"
        "First, upgrade 50 factories by June.\n"
        "Second, attract investment for the supply chain.\n"
    )
    assert [h.text for h in english.headings] == ["Firmly grasp the key of industrial upgrading"]
    assert [(c.text, c.heading) for c in english.clauses] == [
        ("upgrade 50 factories by June", "Firmly grasp the key of industrial upgrading"),
        ("attract investment for the supply chain", "Firmly grasp the key of industrial upgrading"),
    ]
    chinese = run("突出抓好生态环境保护：\n一是持续推进秸秆禁烧，二是加快大气污染防治。")
    assert [(c.text, c.heading) for c in chinese.clauses] == [
        ("一是持续推进秸秆禁烧", "突出抓好生态环境保护"),
        ("二是加快大气污染防治", "突出抓好生态环境保护"),
    ]
