"""What the demo's people write: report narratives, problems, next steps, and the reasons and notes of
their decisions. Written in our own words; ``luoshi.demo.work`` draws from these with its seeded random
generator, so two builds for the same day write the same words.
"""

from __future__ import annotations

from random import Random

OPENERS = ("报告期内，", "本月，", "截至目前，", "本期，", "近期，")

# How the lead unit sums up where it stands, by the tone of the report.
STANDING = {
    "good": (
        "总体进度符合序时要求。",
        "各项工作按计划推进。",
        "任务推进顺利，未发现影响进度的问题。",
        "已完成阶段性目标。",
    ),
    "behind": (
        "进度略滞后于序时要求，正在倒排工期加快推进。",
        "受前期手续办理影响，进度有所滞后。",
        "部分点位施工推进较慢，总体进度落后于计划。",
    ),
    "far_behind": (
        "进度明显滞后，已向分管领导专题汇报。",
        "主要工程量尚未完成，进度严重滞后于序时要求。",
        "受资金和手续制约，任务推进缓慢，存在不能按期完成的风险。",
    ),
    "done": (
        "任务已全部完成，佐证材料已整理归档。",
        "各项目标任务均已完成，具备办结条件。",
        "经自查，任务完成情况达到预期要求。",
    ),
    "rework": (
        "已按审核意见补充完善，并重新组织现场核验。",
        "针对退回意见逐条整改，补充了整改前后对比照片和验收记录。",
    ),
    "relapse": (
        "回头看中发现问题有所反弹，已重新制定整改措施。",
        "复查发现部分点位问题复发，正在重新组织整改。",
    ),
}

PROBLEMS = {
    "innovation": (
        "部分企业研发投入意愿不强，申报积极性不高。",
        "专业服务机构力量薄弱，企业申报辅导覆盖不足。",
        "部门间数据接口标准不统一，对接进度受到影响。",
        "基层窗口人员业务能力参差不齐。",
    ),
    "industry": (
        "部分企业受市场行情影响，技改投资意愿下降。",
        "项目用地报批周期较长，影响开工时间。",
        "融资渠道较窄，部分项目资金尚未完全到位。",
        "招商项目落地转化率有待提高。",
    ),
    "green": (
        "个别企业整改主体责任落实不到位，存在等靠思想。",
        "部分治理工程受施工季节限制，进度受到影响。",
        "监测设备安装调试时间较长。",
        "整改资金需求较大，筹措存在一定困难。",
    ),
    "urban": (
        "部分居民对改造方案意见不一致，协调难度较大。",
        "冬季施工期临近，室外工程需抓紧推进。",
        "地下管网情况复杂，施工中发现新的问题点位。",
        "执法力量不足，难以做到常态化巡查。",
    ),
    "livelihood": (
        "基层工作人员力量不足，入户核查任务重。",
        "部分服务设施选址困难，建设进度偏慢。",
        "资金拨付流程较长，影响项目推进。",
        "群众知晓率不高，政策宣传还需加强。",
    ),
}

NEXT_STEPS = {
    "innovation": (
        "继续开展政策宣讲和上门服务，扩大企业覆盖面。",
        "加强与高校院所对接，推动更多成果在本地转化。",
        "完善数据共享机制，按周调度对接进度。",
        "组织专项培训，提升窗口人员服务水平。",
    ),
    "industry": (
        "实行项目专班推进，逐项协调解决堵点问题。",
        "加强与金融机构对接，拓宽项目融资渠道。",
        "加快项目前期手续办理，力争早开工、早投产。",
        "开展签约项目回访，推动项目尽快落地。",
    ),
    "green": (
        "加大执法检查频次，对整改不力的企业依法处理。",
        "倒排工期、挂图作战，确保按时限完成整改。",
        "加强监测数据分析，及时发现和处置异常情况。",
        "组织开展整改效果评估，做好验收销号准备。",
    ),
    "urban": (
        "加强与居民沟通，充分听取意见后完善方案。",
        "抢抓施工黄金期，合理安排施工组织。",
        "建立问题台账，实行销号管理。",
        "完善长效管理机制，巩固整治成果。",
    ),
    "livelihood": (
        "充实基层服务力量，确保政策落实到户到人。",
        "加快资金拨付进度，保障项目按期推进。",
        "加大政策宣传力度，提高群众知晓率。",
        "建立定期走访制度，及时掌握群众需求。",
    ),
}

SUMMARIES = (
    "汇总各责任单位进展：{works}。下一步将加强调度，对进度滞后的单位进行督促。",
    "牵头召开推进会，听取各责任单位进展情况：{works}。会议明确了下阶段任务分工和时间节点。",
    "组织各责任单位对照任务清单自查，{works}，整体进度基本符合要求。",
)

COOPERATION = (
    "配合牵头单位开展工作：{works}，已将相关情况报送牵头单位。",
    "按照职责分工，{works}，为牵头单位推进任务提供了支持。",
    "参加牵头单位组织的联合调度，{works}。",
)

COMPLETION_NOTES = (
    "任务已按要求完成，佐证材料见附件，申请办结。",
    "各项目标均已完成，经本单位自查合格，申请审核验收。",
    "整改任务已全部落实到位，相关验收材料一并报送，请予审核。",
    "任务完成情况已报分管领导审定，申请办结。",
)

ACCEPT_NOTES = (
    "经审核，任务完成情况与佐证材料相符，同意办结。",
    "经现场核查，整改到位，同意销号。",
    "完成情况符合预期目标，同意办结，请做好长效管理。",
    "材料齐全、成效明显，同意办结。",
)

REJECT_REASONS = (
    "佐证材料不全，缺少整改前后对比照片和验收记录，请补充后重新报送。",
    "现场核查发现部分点位尚未整改到位，请继续整改。",
    "完成情况与任务目标存在差距，量化指标未达到要求，请补充说明。",
    "报送的照片无法反映整改现场情况，请重新拍摄并附说明。",
)

EXTENSION_REASONS = (
    "受施工季节和设备供货周期影响，部分工程无法在原定时限内完成，申请延期。",
    "项目前期手续办理时间较长，实际开工晚于计划，申请顺延完成时限。",
    "任务涉及的部分居民意见尚未统一，需要更多时间协调，申请延期。",
)
EXTENSION_APPROVALS = (
    "理由充分，同意延期，请倒排工期确保按新时限完成。",
    "同意延期，原定时限仍作为考核依据。",
)
EXTENSION_DENIALS = (
    "该任务为年度重点任务，不同意延期，请加大力度按原时限完成。",
    "延期理由不充分，请调整工作安排，确保按期完成。",
)

OBJECTIONS = ("公示期间收到群众反映，部分点位雨后仍有溢流现象，经核实情况属实，退回继续整改。",)
REOPEN_REASONS = (
    "回头看发现问题出现反弹，重新启动整改。",
    "复查发现整改成效未能巩固，重新交办继续整改。",
)


def pick(rng: Random, options: tuple[str, ...]) -> str:
    return options[rng.randrange(len(options))]


def fill(rng: Random, template: str) -> str:
    """``template`` with each ``{n}`` replaced by a plausible count."""
    parts = template.split("{n}")
    text = parts[0]
    for part in parts[1:]:
        text += str(rng.choice((2, 3, 4, 5, 6, 8, 10, 12, 15, 18, 20, 24, 30))) + part
    return text


def works_phrase(rng: Random, works: tuple[str, ...], count: int = 2) -> str:
    """``count`` of ``works`` (different ones), filled in and joined with a semicolon."""
    chosen = rng.sample(works, min(count, len(works))) if works else ["按计划推进各项工作"]
    return "；".join(fill(rng, w) for w in chosen)


def report_text(rng: Random, *, area: str, works: tuple[str, ...], tone: str) -> tuple[str, str, str]:
    """A progress report's narrative, problems and next steps in the given tone."""
    narrative = pick(rng, OPENERS) + works_phrase(rng, works) + "。" + pick(rng, STANDING[tone])
    troubled = tone in {"behind", "far_behind", "relapse"}
    # Work that is done reports no problems; work on track mentions one now and then.
    problems = pick(rng, PROBLEMS[area]) if troubled or (tone == "good" and rng.random() < 0.4) else ""
    next_steps = pick(rng, NEXT_STEPS[area]) if tone != "done" else "做好资料归档和长效管理。"
    return narrative, problems, next_steps


def summary_text(rng: Random, works: tuple[str, ...]) -> str:
    return pick(rng, SUMMARIES).format(works=works_phrase(rng, works))


def cooperation_text(rng: Random, works: tuple[str, ...]) -> str:
    return pick(rng, COOPERATION).format(works=works_phrase(rng, works, count=1))
