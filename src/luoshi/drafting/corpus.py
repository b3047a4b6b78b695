# ruff: noqa: E501 (the texts keep their paragraphs on one line each, as they are pasted)
"""The labelled set: directive texts written for Luoshi's tests (in our own words, not copied from real
documents), each with the clauses a supervision office would register and their focus areas.

An expected clause is given by a phrase that only it contains; a proposed clause matches it when it
contains that phrase. Texts cover numbered headings (一、 （一） 1. （1） 第一，, I. First,), run-on paragraphs,
meeting reports in both languages, "firmly grasp" priorities, and inspection feedback with numbered
problems. Context, praise and attendance sentences are in them on purpose and must not become clauses.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Labelled:
    name: str
    text: str
    # (a phrase only this clause contains, the code of its focus area)
    clauses: tuple[tuple[str, str], ...]


CORPUS: tuple[Labelled, ...] = (
    Labelled(
        "zh-numbered-headings",
        """关于做好2024年下半年重点工作的通知
一、坚持绿色发展
（一）打好蓝天保卫战。要在10月底前完成全市燃煤锅炉淘汰工作。市生态环境局要加强扬尘污染治理，每季度通报一次。
（二）推进河道治理。要完成黑臭水体整治，年底前水质稳定达标。
二、持续改善民生
（一）稳定就业。要新增城镇就业岗位2万个，重点帮扶困难群众就业。
（二）发展养老服务。年底前建成社区养老食堂30个。
""",
        (
            ("燃煤锅炉淘汰", "green"),
            ("扬尘污染治理", "green"),
            ("黑臭水体整治", "green"),
            ("新增城镇就业岗位", "livelihood"),
            ("社区养老食堂", "livelihood"),
        ),
    ),
    Labelled(
        "zh-meeting-report",
        """市政府常务会议纪要
9月12日，市长主持召开市政府常务会议，副市长、秘书长出席会议，各区政府和市直有关部门主要负责同志列席。
会议听取了全市安全生产工作情况汇报。会议认为，今年以来全市安全生产形势总体平稳，各部门工作取得明显成效。
会议要求，各区县要立即开展危化品企业安全隐患大排查，9月30日前形成问题清单。
会议强调，要加快老旧小区燃气管道更新改造，年底前完成改造任务的80%。
会议指出，当前防汛形势依然严峻。
会议决定，由市应急局牵头，建立防汛值班值守制度。
""",
        (
            ("危化品企业安全隐患大排查", "safety"),
            ("燃气管道更新改造", "urban"),
            ("防汛值班值守制度", "safety"),
        ),
    ),
    Labelled(
        "zh-run-on",
        """在全市优化营商环境大会上的讲话
同志们，过去一年全市营商环境建设取得了显著成效，成绩来之不易。
要深化审批制度改革，推行一网通办，压减企业开办时间；要完善人才引进政策，落实科技型中小企业研发费用加计扣除。
要加快数字化转型，推进重点产业链招商引资，培育产业集群。
""",
        (
            ("深化审批制度改革", "innovation"),
            ("推行一网通办", "innovation"),
            ("压减企业开办时间", "innovation"),
            ("完善人才引进政策", "innovation"),
            ("研发费用加计扣除", "innovation"),
            ("加快数字化转型", "industry"),
            ("推进重点产业链招商引资", "industry"),
            ("培育产业集群", "industry"),
        ),
    ),
    Labelled(
        "zh-firmly-grasp",
        """牢牢把握产业转型这个关键：
一是推进老字号企业技术改造，年底前实施技改项目50个；二是做好原字号精深加工，延伸产业链；三是培育新字号企业，新增高新技术企业100家。
突出抓好生态环境保护：
一是持续推进秸秆禁烧，二是加快大气污染防治，三是强化固废处置监管。
""",
        (
            ("老字号企业技术改造", "industry"),
            ("原字号精深加工", "industry"),
            ("培育新字号企业", "industry"),
            ("秸秆禁烧", "green"),
            ("大气污染防治", "green"),
            ("固废处置监管", "green"),
        ),
    ),
    Labelled(
        "zh-inspection-feedback",
        """省生态环境保护督察反馈意见整改方案
督察组反馈指出，我市在生态环境保护方面存在以下问题：
1. 部分区县燃煤锅炉淘汰进度滞后，未按期完成年度任务。
2. 城区扬尘管控不到位，建筑工地覆盖措施落实不严。
3. 个别河道黑臭水体反弹，治理效果不稳定。
4. 垃圾分类工作推进缓慢，设施配备不足。
""",
        (
            ("燃煤锅炉淘汰进度滞后", "green"),
            ("城区扬尘管控不到位", "green"),
            ("黑臭水体反弹", "green"),
            ("垃圾分类工作推进缓慢", "green"),
        ),
    ),
    Labelled(
        "zh-di-yi",
        """关于进一步抓好民生实事的意见
第一，要办好民生实事，年内新建托育机构10所。
第二，要强化学校周边安全隐患整治，每月开展一次联合检查。
第三，要提升社区医疗服务能力，6月底前实现家庭医生签约全覆盖。
""",
        (
            ("新建托育机构", "livelihood"),
            ("学校周边安全隐患整治", "safety"),
            ("社区医疗服务能力", "livelihood"),
        ),
    ),
    Labelled(
        "zh-deep-numbering",
        """城市建设三年行动方案
一、主要任务
（一）城市更新
1. 老旧小区改造。2024年改造老旧小区120个，同步完善停车设施。
2. 管网建设。
（1）更新改造供热管网50公里，11月15日前完成。
（2）加快排水管网建设，消除内涝点20处。
（二）城市管理
1. 市容整治。开展违建清理专项行动，长期坚持。
""",
        (
            ("改造老旧小区120个", "urban"),
            ("完善停车设施", "urban"),
            ("供热管网50公里", "urban"),
            ("排水管网建设", "urban"),
            ("消除内涝点", "urban"),
            ("违建清理专项行动", "urban"),
        ),
    ),
    Labelled(
        "en-meeting-report",
        """Minutes of the City Government Executive Meeting
The mayor chaired the meeting on 12 September. Deputy mayors and the heads of the district governments attended.
The meeting heard a report on air quality in the first half of the year. The meeting noted that air quality has improved steadily.
The meeting emphasized that all districts must complete the retirement of coal-fired boilers by the end of October.
The meeting required the ecology bureau to publish monthly dust inspection results.
It is necessary to speed up the renovation of old residential housing estates before the heating season.
""",
        (
            ("retirement of coal-fired boilers", "green"),
            ("monthly dust inspection", "green"),
            ("renovation of old residential", "urban"),
        ),
    ),
    Labelled(
        "en-run-on",
        """Speech at the City Work Conference on Jobs and Services
Last year we made good progress in creating jobs, and I thank everyone for the hard work.
This year we must create 20,000 new urban jobs, expand childcare places for young families, improve medical services in community clinics, and raise pensions for elderly residents.
We should also strengthen fire safety checks in markets; and the districts must clear hazards in old warehouses within 30 days.
""",
        (
            ("create 20,000 new urban jobs", "livelihood"),
            ("expand childcare places", "livelihood"),
            ("improve medical services", "livelihood"),
            ("raise pensions", "livelihood"),
            ("strengthen fire safety checks", "safety"),
            ("clear hazards in old warehouses", "safety"),
        ),
    ),
    Labelled(
        "en-numbered",
        """Notice on Key Tasks for the Second Half of the Year
I. Industrial upgrading
1. Upgrade the equipment of 50 traditional factories by the end of the year.
2. Attract investment for the new energy vehicle supply chain, and report progress quarterly.
II. Innovation
1. Set up three new research platforms with the university by September 30.
2. Cut the approval time for business start-ups to two days.
III. Green development
1. Reduce coal consumption by 5% and monitor carbon emissions monthly.
""",
        (
            ("equipment of 50 traditional factories", "industry"),
            ("new energy vehicle supply chain", "industry"),
            ("three new research platforms", "innovation"),
            ("approval time for business start-ups", "innovation"),
            ("Reduce coal consumption", "green"),
            ("monitor carbon emissions", "green"),
        ),
    ),
    Labelled(
        "en-inspection-feedback",
        """Feedback of the Provincial Safety Inspection Team
The inspection team found the following problems in the city:
1. Fire hazards in several wholesale markets have not been rectified.
2. Storage of hazardous chemicals at two plants is inadequate.
3. Flood drainage works in the eastern district are behind schedule.
The city expressed its thanks to the inspection team for its guidance.
""",
        (
            ("Fire hazards in several wholesale markets", "safety"),
            ("Storage of hazardous chemicals", "safety"),
            ("Flood drainage works", "safety"),
        ),
    ),
    Labelled(
        "en-firstly",
        """Instructions of the Mayor on Urban Management
First, the urban management bureau must remove illegal structures along the main roads by the end of June.
Second, the districts should add 5,000 public parking spaces this year.
Finally, the housing bureau will replace old gas pipelines in 40 housing estates.
""",
        (
            ("remove illegal structures", "urban"),
            ("5,000 public parking spaces", "urban"),
            ("replace old gas pipelines", "urban"),
        ),
    ),
    Labelled(
        "zh-mixed-context",
        """全市招商引资工作推进会会议纪要
会议通报了上半年全市招商引资和项目建设情况。一年来，各地区各部门共签约项目120个，工作总体平稳。
会议要求：
1. 各区县要围绕重点产业链开展精准招商，三季度末前签约亿元以上项目20个。
2. 市发展改革委要建立重大项目包保制度，每月调度项目建设进展。
3. 要优化营商环境，实行企业诉求一网通办，限时办结。
""",
        (
            ("围绕重点产业链开展精准招商", "industry"),
            ("重大项目包保制度", "industry"),
            ("优化营商环境", "innovation"),
        ),
    ),
)
