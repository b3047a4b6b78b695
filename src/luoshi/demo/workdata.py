"""The words of the demo city's work: its five focus areas, a meeting's decisions, an inspection's problem
list, and the tasks that carry each clause out.

Everything here is written in our own words for the demo. The meeting is modelled on the kind of enlarged
municipal government meeting a northern industrial city holds in late summer (five priorities: innovation,
industrial transformation with its "three major articles", green development, urban construction and
management, people's livelihood); it quotes no real document. ``luoshi.demo.work`` reads these tables and
decides the dates and what happens to each task.

Task titles are templates: ``{unit}`` becomes the short name of the unit that leads the task (铁西区,
兴盛街道…) and ``{n}`` a number drawn from the clause's ``numbers`` range.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Area:
    """A focus area of the demo taxonomy, with the heading it has in the meeting's text."""

    code: str
    name: str
    heading: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Extra:
    """A further task from a clause, with a history of its own.

    ``fate`` is ``sent_back`` (the unit sent it back as not its own; it waits to be re-routed),
    ``transferred`` (sent back, then transferred to ``to``, which took it up) or ``cancelled`` (stopped
    with its subtasks ``items``).
    """

    lead: str
    title: str
    fate: str
    reason: str
    to: str = ""
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClauseSpec:
    """One clause of a directive and the tasks that implement it.

    ``lead`` is the unit key (see ``luoshi.demo.city.UNITS``) of the bureau that leads the clause's main
    task ``title``; an empty ``lead`` leaves the clause not yet decomposed. ``items`` are the lead bureau's
    own sub-items, ``branches`` the task template for the ecology bureau's district branches. Each of
    ``districts`` gets a task ``local`` from the city; a district with streets or townships splits it into
    ``down`` for them, and a street or township with communities or villages splits that into ``village``.
    ``works`` are what progress reports say was done.
    """

    area: str
    text: str
    lead: str = ""
    title: str = ""
    outcome: str = ""
    coop: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    branches: str = ""
    districts: tuple[str, ...] = ()
    local: str = ""
    numbers: tuple[int, int] = (2, 6)
    down: str = ""
    village: str = ""
    works: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    cadence: str = "monthly"
    priority: int = 1
    extras: tuple[Extra, ...] = ()
    # The scripted end of the main task (the inspection's problems); empty: drawn at random.
    fate: str = ""
    heading: str = ""


AREAS: tuple[Area, ...] = (
    Area(
        "innovation",
        "创新",
        "一、坚持创新驱动，加快建设区域科技创新高地",
        (
            "科技创新",
            "创新平台",
            "高新技术企业",
            "科技型中小企业",
            "成果转化",
            "研发",
            "数字政府",
            "一网通办",
            "营商环境",
            "人才",
        ),
    ),
    Area(
        "industry",
        "产业转型",
        "二、聚焦产业转型，做好结构调整“三篇大文章”",
        (
            "产业转型",
            "三篇大文章",
            "老字号",
            "原字号",
            "新字号",
            "技术改造",
            "数字化转型",
            "产业链",
            "产业集群",
            "项目建设",
            "招商引资",
            "国企改革",
            "文旅",
        ),
    ),
    Area(
        "green",
        "绿色发展",
        "三、坚持绿色发展，推动减污降碳协同增效",
        (
            "绿色发展",
            "督察整改",
            "整改销号",
            "碳达峰",
            "碳中和",
            "双碳",
            "能耗双控",
            "节能降碳",
            "超低排放",
            "蓝天保卫战",
            "碧水保卫战",
            "河湖长制",
            "清洁取暖",
            "新能源",
        ),
    ),
    Area(
        "urban",
        "城市建设和管理",
        "四、提升城市建设和管理水平，建设宜居韧性智慧城市",
        (
            "国土空间规划",
            "详细规划",
            "耕地保护",
            "城市更新",
            "老旧小区",
            "精细化管理",
            "垃圾分类",
            "市容环境",
            "违法建设",
            "交通",
            "停车",
            "燃气",
            "安全隐患",
        ),
    ),
    Area(
        "livelihood",
        "民生",
        "五、坚持以人民为中心，持续保障和改善民生",
        (
            "民生",
            "就业",
            "养老",
            "助餐",
            "适老化",
            "教育",
            "学位",
            "医疗",
            "医联体",
            "社会救助",
            "低保",
            "乡村振兴",
            "人居环境",
        ),
    ),
)

MEETING_TITLE = "鞍山市人民政府扩大会议议定事项"
MEETING_BODY = "鞍山市人民政府"
# The serial of the document number; the year is the year of the meeting.
MEETING_NUMBER = "鞍政办发〔{year}〕{serial}号"
MEETING_SERIAL = 27
MEETING_INTRO = (
    "{date}，市政府召开扩大会议，传达学习省委、省政府有关会议精神，总结上半年全市经济社会发展情况，"
    "分析当前面临的形势，研究部署下半年重点工作。会议指出，上半年全市经济运行总体平稳，"
    "但稳增长、调结构、防风险的任务依然艰巨。会议要求，各地区、各部门要锚定全年目标任务不放松，"
    "坚持稳中求进，抓重点、补短板、强弱项，以钉钉子精神把各项工作落到实处。现将会议议定事项通知如下。"
)
MEETING_CLOSING = (
    "各地区、各部门要对照议定事项，逐项明确牵头领导、责任单位、完成时限和工作措施，"
    "于会后五个工作日内将分解落实方案报市政府督查室。市政府督查室要建立工作台账，实行月调度、季通报，"
    "对推进不力、进度滞后的单位予以督办通报，确保议定事项件件有着落、事事有回音。"
)

INSPECTION_TITLE = "省第二生态环境保护督察组督察反馈意见"
INSPECTION_BODY = "省第二生态环境保护督察组"
INSPECTION_NUMBER = "省环督反馈〔{year}〕{serial}号"
INSPECTION_SERIAL = 6
INSPECTION_HEADING = "督察反馈问题"
INSPECTION_INTRO = (
    "{date}，省第二生态环境保护督察组向我市反馈督察意见。督察组肯定了我市生态环境保护工作取得的进展，"
    "同时指出了一些亟待解决的突出问题。市政府要求各责任单位照单全收、逐项整改，"
    "制定整改方案，明确整改目标、措施、时限和责任人；整改完成后经验收合格，并向社会公示无异议后方可销号。"
    "反馈问题如下："
)
INSPECTION_CLOSING = "整改落实情况纳入年度绩效考核。对整改不力、敷衍整改、虚假整改的，依规依纪严肃追责问责。"

CLAUSES: tuple[ClauseSpec, ...] = (
    # --- 一、创新 ---------------------------------------------------------------------------------
    ClauseSpec(
        "innovation",
        "要加快建设科技创新平台，支持钢铁、菱镁、装备制造等重点领域企业联合高校院所组建重点实验室、"
        "技术创新中心和中试基地，年内新增省级以上创新平台10个以上。",
        lead="science",
        title="新增省级以上科技创新平台10个以上",
        outcome="新增省级以上重点实验室、技术创新中心等创新平台不少于10个，形成平台名单和运行评估报告。",
        coop=("industry", "education"),
        items=(
            "梳理重点企业研发需求，建立创新平台培育库",
            "组织省级重点实验室和技术创新中心申报",
            "开展已建创新平台运行绩效评价",
        ),
        districts=("tiexi", "lishan"),
        local="{unit}培育企业研发创新平台{n}个",
        numbers=(2, 4),
        works=(
            "走访重点企业{n}家，摸排研发平台建设需求",
            "组织专家对{n}个拟申报平台开展申报辅导",
            "{n}家企业完成省级创新平台申报材料报送",
            "召开创新平台建设推进会，协调解决场地和设备问题{n}个",
        ),
    ),
    ClauseSpec(
        "innovation",
        "要壮大科技型企业群体，实施高新技术企业和科技型中小企业梯次培育，全年新增高新技术企业60家以上、"
        "科技型中小企业评价入库300家以上。",
        lead="science",
        title="实施科技型企业梯次培育行动",
        outcome="全年新增高新技术企业60家以上，科技型中小企业评价入库300家以上。",
        coop=("finance", "statistics"),
        items=(
            "建立高新技术企业后备培育库并实行动态管理",
            "落实研发费用加计扣除和高企认定奖励政策",
        ),
        districts=("tiexi", "tiedong", "lishan", "haicheng", "qianshan"),
        local="{unit}新增科技型中小企业评价入库{n}家",
        numbers=(20, 60),
        works=(
            "上门对接企业{n}家，宣讲高企认定政策",
            "指导{n}家企业规范研发费用归集",
            "新增{n}家企业完成科技型中小企业评价入库",
            "组织{n}家后备企业参加高企申报培训",
        ),
    ),
    ClauseSpec(
        "innovation",
        "要打通科技成果转化通道，深化与驻鞍高校、科研院所合作，建立成果发布、供需对接和中试熟化机制，"
        "推动更多科技成果在本地落地转化。",
        lead="science",
        title="建立科技成果本地转化对接机制",
        outcome="建成成果供需对接平台，全年组织对接活动不少于12场，促成本地转化项目30项以上。",
        coop=("education", "industry"),
        items=(
            "每季度举办校企科技成果对接会",
            "建设中试基地并向中小企业开放共享",
            "培育技术经纪人队伍",
        ),
        works=(
            "组织校企对接活动{n}场，发布科技成果{n}项",
            "征集企业技术需求{n}项并分类推送高校院所",
            "促成{n}项成果签订转化协议",
        ),
        cadence="quarterly",
    ),
    ClauseSpec(
        "innovation",
        "要加快数字政府建设，推进政务数据归集共享，实现高频政务服务事项“一网通办”“掌上办”，"
        "让群众和企业办事少跑腿。",
        lead="data",
        title="推进高频政务服务事项“一网通办”",
        outcome="高频政务服务事项100项实现一网通办，政务数据共享目录编制完成并上线运行。",
        coop=("business", "office"),
        items=(
            "编制政务数据共享目录和责任清单",
            "完成政务服务平台与部门业务系统对接",
            "推出掌上办事项并开展体验测评",
        ),
        districts=("tiexi", "tiedong"),
        local="{unit}推进基层政务服务“一网通办”",
        down="{unit}便民服务中心开展帮办代办服务",
        village="{unit}开展“一网通办”进社区宣传",
        works=(
            "完成{n}个部门业务系统的数据接口对接",
            "新增{n}个高频事项实现全程网办",
            "组织窗口工作人员业务培训{n}场",
            "收集群众办事体验意见{n}条并逐条整改",
        ),
        extras=(
            Extra(
                "urban",
                "建设城市运行“一网统管”平台",
                "transferred",
                "本局负责市容和市政设施管理，城市运行管理平台的建设属于大数据管理部门职责，申请退回重新交办。",
                to="data",
            ),
        ),
    ),
    ClauseSpec(
        "innovation",
        "要持续优化营商环境，深化审批制度改革，企业开办时间压缩至1个工作日以内，建立涉企诉求“接诉即办”"
        "机制，做到件件有回音、事事有着落。",
        lead="business",
        title="深化审批制度改革，建立涉企诉求“接诉即办”机制",
        outcome="企业开办1个工作日内办结，涉企诉求按期办结率达到95%以上。",
        coop=("market", "justice", "data"),
        items=(
            "压缩企业开办和工程建设项目审批时限",
            "建立涉企诉求受理、转办、督办和回访闭环",
            "开展损害营商环境问题专项整治",
        ),
        districts=("tiexi", "lishan", "haicheng", "taian"),
        local="{unit}建立涉企诉求“接诉即办”工作机制",
        works=(
            "受理涉企诉求{n}件，按期办结率稳步提高",
            "梳理审批事项{n}项并压减办理环节",
            "营商环境监督员走访企业{n}家",
            "对{n}件超期诉求进行督办",
        ),
        tags=("营商环境",),
    ),
    ClauseSpec(
        "innovation",
        "要实施更加积极开放的人才政策，深入推进人才引进和本地培养，全年引进各类人才1万人以上，"
        "支持企业设立博士后科研工作站。",
    ),
    # --- 二、产业转型 -----------------------------------------------------------------------------
    ClauseSpec(
        "industry",
        "要改造升级“老字号”，推动钢铁、装备制造等传统产业实施智能化改造和数字化转型，"
        "年内实施技术改造项目50个以上，建成一批数字化车间和智能工厂。",
        lead="industry",
        title="推进传统产业智能化改造和数字化转型",
        outcome="年内实施技术改造项目50个以上，新认定数字化车间、智能工厂10个。",
        coop=("development", "finance", "energy"),
        items=(
            "建立技术改造项目库并实行月调度",
            "组织智能工厂和数字化车间认定",
            "落实技术改造专项资金",
        ),
        districts=("tiexi", "lishan", "haicheng"),
        local="{unit}推进{n}个重点企业技术改造项目",
        numbers=(4, 12),
        works=(
            "调度技改项目{n}个，其中{n}个已完成设备安装",
            "组织{n}家企业参加数字化转型诊断",
            "兑现技术改造补助资金{n}百万元",
            "新认定数字化车间{n}个",
        ),
        tags=("三篇大文章",),
        priority=2,
    ),
    ClauseSpec(
        "industry",
        "要深度开发“原字号”，延伸菱镁、钢铁产业链条，推动镁质材料向高端耐火材料和新型镁基材料延伸，"
        "提高资源就地转化率。",
        lead="industry",
        title="延伸菱镁和钢铁产业链，提高资源就地转化率",
        outcome="菱镁精深加工产品比重明显提高，引进落地产业链延伸项目10个以上。",
        coop=("land", "ecology", "science"),
        items=(
            "编制菱镁产业高质量发展行动方案",
            "推动菱镁企业整合重组",
        ),
        districts=("haicheng", "xiuyan"),
        local="{unit}推动{n}个镁质材料精深加工项目落地",
        numbers=(2, 6),
        works=(
            "推动{n}个镁质材料深加工项目开工建设",
            "组织{n}家菱镁企业开展整合重组对接",
            "赴先进地区考察对接产业链项目{n}次",
        ),
        tags=("三篇大文章",),
    ),
    ClauseSpec(
        "industry",
        "要培育壮大“新字号”，加快发展新能源、新材料、高端装备和生物医药等新兴产业，"
        "集中力量打造若干百亿级产业集群。",
        lead="development",
        title="培育新能源、新材料等新兴产业集群",
        outcome="新兴产业产值增长15%以上，形成新兴产业集群培育方案和重点项目清单。",
        coop=("industry", "science", "commerce"),
        items=(
            "编制新兴产业集群培育方案",
            "建立新兴产业重点项目和企业清单",
        ),
        districts=("tiedong", "qianshan", "tiexi"),
        local="{unit}引育新兴产业项目{n}个",
        numbers=(2, 6),
        works=(
            "对接新兴产业项目{n}个",
            "推动{n}家新材料企业扩能达产",
            "召开新兴产业集群专题调度会{n}次",
        ),
        tags=("三篇大文章",),
    ),
    ClauseSpec(
        "industry",
        "要狠抓项目建设，建立重大项目领导包保和全程代办机制，确保全年亿元以上项目开复工200个以上，"
        "完成固定资产投资目标。",
        lead="development",
        title="完成亿元以上项目开复工200个以上",
        outcome="亿元以上项目开复工200个以上，重大项目按计划形成实物工作量，固定资产投资完成年度目标。",
        coop=("land", "housing", "finance"),
        items=(
            "建立重大项目领导包保责任清单",
            "每月召开项目建设调度会，协调解决堵点问题",
        ),
        districts=("tiedong", "tiexi", "lishan", "qianshan", "haicheng"),
        local="{unit}完成亿元以上项目开复工{n}个",
        numbers=(12, 40),
        down="{unit}做好重点项目征收和施工环境保障",
        works=(
            "新开工亿元以上项目{n}个",
            "协调解决项目用地、用电等问题{n}个",
            "完成项目前期手续{n}项",
            "开展项目观摩和现场调度{n}次",
        ),
        tags=("重点项目",),
        priority=2,
        extras=(
            Extra(
                "transport",
                "推进城东物流园区项目前期工作",
                "cancelled",
                "项目投资方调整投资计划，经市政府同意，本项目不再列入年度重点项目，相关工作终止。",
                items=("完成物流园区项目选址论证", "办理物流园区项目用地预审"),
            ),
        ),
    ),
    ClauseSpec(
        "industry",
        "要深化国资国企改革，推进市属国有企业战略性重组和专业化整合，稳妥推进混合所有制改革，"
        "健全市场化经营机制。",
        lead="assets",
        title="推进市属国有企业重组整合和混合所有制改革",
        outcome="完成市属国企重组整合3户以上，经理层任期制和契约化管理实现全覆盖。",
        coop=("finance", "justice"),
        items=(
            "制定市属国有企业重组整合方案",
            "推行经理层成员任期制和契约化管理",
            "清理处置低效无效资产",
        ),
        works=(
            "完成{n}户企业清产核资",
            "推动{n}户企业签订经理层任期契约",
            "处置低效无效资产{n}项",
        ),
    ),
    ClauseSpec(
        "industry",
        "要坚持把招商引资作为“一号工程”，围绕主导产业链开展精准招商和以商招商，全年引进内资增长20%以上，"
        "实际利用外资稳中有增。",
        lead="commerce",
        title="围绕主导产业链开展精准招商",
        outcome="引进内资增长20%以上，新签约亿元以上项目100个以上，签约项目当年开工率达到60%。",
        coop=("development", "business"),
        items=(
            "绘制重点产业链招商图谱",
            "组织赴京津冀、长三角等地专题招商活动",
        ),
        districts=("tiexi", "lishan", "haicheng", "tiedong"),
        local="{unit}新签约亿元以上招商项目{n}个",
        numbers=(8, 25),
        works=(
            "外出招商{n}次，洽谈项目{n}个",
            "新签约亿元以上项目{n}个",
            "推动{n}个签约项目注册落地",
        ),
    ),
    ClauseSpec(
        "industry",
        "要推动文旅产业提质升级，擦亮千山、玉佛苑等文旅品牌，发展冰雪、温泉和乡村旅游，培育文旅消费新场景。",
        lead="culture",
        title="擦亮千山文旅品牌，培育文旅消费新场景",
        outcome="全年接待游客人次和旅游收入分别增长15%以上，新增文旅消费场景10个。",
        coop=("commerce", "transport"),
        items=(
            "策划四季文旅节庆活动",
            "推进重点景区游客服务设施提升",
        ),
        districts=("qianshan", "xiuyan"),
        local="{unit}开发乡村旅游精品线路{n}条",
        numbers=(2, 5),
        down="{unit}建设乡村旅游示范点",
        village="{unit}发展农家乐和特色民宿",
        works=(
            "举办文旅节庆活动{n}场",
            "完成{n}处景区游客服务设施改造",
            "新培育乡村旅游点{n}个",
        ),
    ),
    # --- 三、绿色发展 -----------------------------------------------------------------------------
    ClauseSpec(
        "green",
        "要不折不扣抓好中央和省生态环境保护督察反馈问题整改，逐项明确责任单位、整改时限和措施，"
        "做到整改一个、验收一个、销号一个。",
        lead="ecology",
        title="统筹推进生态环境保护督察反馈问题整改",
        outcome="督察反馈问题按时限完成整改并验收销号，整改情况按要求向社会公开。",
        coop=("development", "housing", "water", "agriculture"),
        branches="{unit}督办辖区督察反馈问题整改",
        districts=("haicheng",),
        local="{unit}完成督察反馈问题整改销号",
        works=(
            "对{n}个整改问题开展现场核查",
            "召开整改调度会{n}次，通报整改进度",
            "{n}个问题完成整改并报送验收材料",
        ),
        tags=("督察整改",),
        priority=3,
    ),
    ClauseSpec(
        "green",
        "要坚决落实能耗双控，严格新上项目节能审查和能耗准入，加强重点用能单位监管，"
        "确保单位地区生产总值能耗完成省下达目标。",
        lead="development",
        title="完成能耗强度降低目标，加强重点用能单位监管",
        outcome="单位地区生产总值能耗完成省下达的年度降低目标，重点用能单位能耗在线监测全覆盖。",
        coop=("energy", "industry", "statistics"),
        items=(
            "分解下达各地区能耗双控目标",
            "开展新上项目节能审查",
            "建设重点用能单位能耗在线监测系统",
        ),
        districts=("tiexi", "lishan", "haicheng", "taian"),
        local="{unit}完成年度能耗强度降低目标",
        works=(
            "对{n}个新上项目开展节能审查",
            "对{n}家重点用能单位开展节能监察",
            "按月调度能耗数据，分析{n}家高耗能企业用能情况",
        ),
        tags=("双碳",),
        priority=2,
    ),
    ClauseSpec(
        "green",
        "要稳妥有序推进碳达峰碳中和，编制重点领域碳达峰实施方案，推动钢铁企业超低排放改造和节能降碳技术改造。",
        lead="industry",
        title="推动钢铁企业超低排放改造和节能降碳",
        outcome="重点钢铁企业完成超低排放改造评估监测，工业领域碳达峰实施方案印发实施。",
        coop=("development", "ecology", "energy"),
        items=(
            "编制工业领域碳达峰实施方案",
            "推动重点钢铁企业超低排放改造",
            "推广节能降碳先进技术装备",
        ),
        districts=("lishan", "tiexi"),
        local="{unit}推动{n}家企业实施节能降碳改造",
        numbers=(2, 6),
        works=(
            "完成{n}个超低排放改造项目评估监测",
            "推广节能降碳技术装备{n}台（套）",
            "组织{n}家企业开展碳排放核算培训",
        ),
        tags=("双碳",),
        cadence="quarterly",
    ),
    ClauseSpec(
        "green",
        "要深入打好蓝天保卫战，推进燃煤锅炉淘汰、散煤治理和工地扬尘管控，空气质量优良天数比例稳步提升。",
        lead="ecology",
        title="打好蓝天保卫战，提升空气质量优良天数比例",
        outcome="空气质量优良天数比例和PM2.5浓度完成年度目标，燃煤小锅炉淘汰任务全部完成。",
        coop=("housing", "urban", "energy"),
        branches="{unit}开展燃煤锅炉和工地扬尘专项执法",
        districts=("haicheng",),
        local="{unit}整治菱镁企业和矿区道路扬尘",
        works=(
            "开展夜间和节假日执法检查{n}次",
            "淘汰燃煤小锅炉{n}台",
            "督促{n}个建筑工地落实扬尘管控措施",
            "对{n}家企业下达限期整改通知",
        ),
        tags=("污染防治",),
        cadence="biweekly",
        priority=2,
    ),
    ClauseSpec(
        "green",
        "要深入打好碧水保卫战，全面落实河湖长制，推进城市黑臭水体治理和污水处理设施提标改造，"
        "确保国省控断面水质稳定达标。",
        lead="water",
        title="落实河湖长制，确保国省控断面水质稳定达标",
        outcome="国省控断面水质稳定达标，城市建成区黑臭水体动态清零。",
        coop=("ecology", "housing", "agriculture"),
        items=(
            "开展河湖“清四乱”专项行动",
            "推进污水处理厂提标改造",
        ),
        districts=("tiedong", "taian", "haicheng"),
        local="{unit}落实河湖长巡河制度，整治入河排污口{n}个",
        numbers=(3, 10),
        works=(
            "开展河湖长巡河{n}次",
            "排查整治入河排污口{n}个",
            "清理河道垃圾和违法建筑{n}处",
        ),
        tags=("污染防治",),
    ),
    ClauseSpec(
        "green",
        "要推进清洁能源替代和清洁取暖，有序发展光伏、风电等新能源，扩大集中供热覆盖面，降低散煤使用量。",
        lead="energy",
        title="推进清洁取暖改造和新能源项目建设",
        outcome="新增新能源装机容量完成年度目标，城区清洁取暖率提高到95%以上。",
        coop=("development", "housing", "land"),
        items=(
            "推进集中式光伏和风电项目建设",
            "实施城区清洁取暖改造",
        ),
        districts=("taian", "xiuyan", "qianshan"),
        local="{unit}完成农村清洁取暖改造{n}户",
        numbers=(300, 1200),
        down="{unit}完成清洁取暖入户改造",
        village="{unit}组织农户签约清洁取暖改造",
        works=(
            "完成清洁取暖改造{n}户",
            "推动{n}个新能源项目并网发电",
            "协调解决项目用地问题{n}个",
        ),
        tags=("双碳",),
    ),
    # --- 四、城市建设和管理 ---------------------------------------------------------------------
    ClauseSpec(
        "urban",
        "要高水平编制国土空间总体规划和详细规划，优化城市功能布局，严守耕地和永久基本农田保护红线。",
        lead="land",
        title="编制国土空间总体规划和重点片区详细规划",
        outcome="国土空间总体规划按程序报批，重点片区详细规划编制完成，耕地保有量不减少。",
        coop=("development", "housing", "agriculture"),
        items=(
            "完成国土空间总体规划成果报批",
            "编制重点片区控制性详细规划",
            "开展耕地保护专项检查",
        ),
        districts=("taian", "haicheng", "qianshan"),
        local="{unit}落实耕地保护责任，整改违法占地图斑{n}个",
        numbers=(5, 20),
        works=(
            "修改完善规划成果{n}处",
            "核查卫片图斑{n}个",
            "召开规划专家论证会{n}次",
        ),
    ),
    ClauseSpec(
        "urban",
        "要实施城市更新行动，加快老旧小区改造，完善水电气热和无障碍等配套设施，年内改造老旧小区100个以上。",
        lead="housing",
        title="实施城市更新行动，改造老旧小区100个以上",
        outcome="年内完成老旧小区改造100个以上，改造后的小区实现物业管理和长效管护。",
        coop=("finance", "urban", "water"),
        items=(
            "编制城市更新专项规划",
            "争取老旧小区改造中央补助资金",
        ),
        districts=("tiexi", "tiedong", "lishan"),
        local="{unit}完成{n}个老旧小区改造",
        numbers=(12, 30),
        down="{unit}完成辖区老旧小区改造",
        village="{unit}组织居民议事，确定小区改造内容",
        works=(
            "完成{n}个小区的供热管网改造",
            "完成外墙保温施工{n}万平方米",
            "召开居民议事会{n}次征求改造意见",
            "新增停车位{n}个，加装电梯{n}部",
        ),
        tags=("民生实事", "城市更新"),
        priority=2,
    ),
    ClauseSpec(
        "urban",
        "要推进城市精细化管理，深化生活垃圾分类，常态化开展市容环境整治，依法治理违法建设和占道经营。",
        lead="urban",
        title="深化生活垃圾分类和市容环境整治",
        outcome="城区生活垃圾分类覆盖率达到90%以上，存量违法建设按计划清零。",
        coop=("housing", "market", "police"),
        items=(
            "制定城市精细化管理考核办法",
            "开展违法建设专项治理",
        ),
        districts=("tiexi", "tiedong", "lishan"),
        local="{unit}推进生活垃圾分类和市容环境整治",
        down="{unit}开展背街小巷环境整治",
        village="{unit}落实垃圾分类桶边督导",
        works=(
            "整治背街小巷{n}条",
            "拆除违法建设{n}处",
            "新建垃圾分类投放点{n}个",
            "清理占道经营和乱堆乱放{n}处",
        ),
        extras=(
            Extra(
                "market",
                "整治马路市场和占道经营",
                "sent_back",
                "占道经营和马路市场的查处属于城市管理综合执法职责，本局负责市场主体登记和食品安全监管，"
                "申请退回由城管执法部门牵头办理。",
            ),
        ),
    ),
    ClauseSpec(
        "urban",
        "要完善城市交通体系，打通一批断头路，优化公交线网，缓解学校、医院等重点区域停车难问题。",
    ),
    ClauseSpec(
        "urban",
        "要守牢城市安全底线，深入开展燃气管网、自建房、消防和重点行业领域安全隐患排查整治，"
        "确保重大隐患动态清零。",
        lead="emergency",
        title="开展城市安全隐患排查整治",
        outcome="重大安全隐患动态清零，燃气老旧管网更新改造完成年度计划。",
        coop=("housing", "market", "police"),
        items=(
            "开展燃气安全专项整治",
            "组织重点行业领域安全生产大检查",
        ),
        districts=("tiexi", "tiedong", "lishan", "qianshan", "haicheng"),
        local="{unit}开展安全隐患排查整治",
        down="{unit}开展自建房和沿街商铺安全排查",
        village="{unit}开展入户燃气安全检查",
        works=(
            "排查企业和场所{n}家，发现隐患{n}处",
            "整改完成隐患{n}处",
            "开展应急演练{n}次",
            "更换老旧燃气管道{n}公里",
        ),
        cadence="biweekly",
        priority=3,
    ),
    # --- 五、民生 ---------------------------------------------------------------------------------
    ClauseSpec(
        "livelihood",
        "要千方百计稳定和扩大就业，落实援企稳岗政策，做好高校毕业生、退役军人和就业困难人员就业帮扶，"
        "城镇新增就业4万人以上。",
        lead="labour",
        title="稳定和扩大就业，城镇新增就业4万人以上",
        outcome="城镇新增就业4万人以上，零就业家庭动态清零。",
        coop=("finance", "education", "civil"),
        items=(
            "兑现援企稳岗补贴",
            "举办高校毕业生专场招聘会",
        ),
        districts=("tiexi", "tiedong", "lishan", "qianshan", "haicheng"),
        local="{unit}完成城镇新增就业{n}人",
        numbers=(3000, 8000),
        down="{unit}开展就业困难人员帮扶",
        village="{unit}摸排登记辖区就业困难人员",
        works=(
            "举办招聘活动{n}场，提供岗位{n}个",
            "发放稳岗补贴{n}万元",
            "帮扶就业困难人员实现就业{n}人",
        ),
        tags=("民生实事",),
    ),
    ClauseSpec(
        "livelihood",
        "要加快发展养老服务，建设社区居家养老服务中心，推进老年助餐服务，实施特殊困难老年人家庭适老化改造。",
        lead="civil",
        title="建设社区居家养老服务中心，推进老年助餐服务",
        outcome="新建社区居家养老服务中心20个，老年助餐点覆盖城市社区80%以上。",
        coop=("health", "finance", "housing"),
        items=(
            "制定老年助餐服务补贴办法",
            "开展养老服务机构安全检查",
        ),
        districts=("tiexi", "tiedong", "qianshan"),
        local="{unit}新建社区居家养老服务中心{n}个",
        numbers=(2, 6),
        down="{unit}建设老年助餐点",
        village="{unit}完成特殊困难老年人家庭适老化改造",
        works=(
            "新建老年助餐点{n}个",
            "完成适老化改造{n}户",
            "上门探访特殊困难老年人{n}人次",
        ),
        tags=("民生实事",),
        priority=2,
    ),
    ClauseSpec(
        "livelihood",
        "要推进教育优质均衡发展，新建改扩建一批中小学和幼儿园，扩大普惠性学前教育资源，落实“双减”政策。",
        lead="education",
        title="新建改扩建中小学和幼儿园，扩大普惠性学前教育资源",
        outcome="完成新建改扩建中小学、幼儿园10所，普惠性幼儿园覆盖率达到90%。",
        coop=("finance", "housing", "land"),
        items=(
            "推进新建改扩建学校工程建设",
            "开展课后服务和“双减”落实督导",
        ),
        districts=("tiedong", "haicheng"),
        local="{unit}完成{n}所学校改扩建",
        numbers=(1, 3),
        works=(
            "完成{n}所学校主体工程",
            "新增学位{n}个",
            "对{n}所学校开展“双减”专项督导",
        ),
        tags=("民生实事",),
    ),
    ClauseSpec(
        "livelihood",
        "要提升医疗卫生服务能力，推进紧密型医疗联合体建设，加强乡镇卫生院和社区卫生服务中心标准化建设。",
        lead="health",
        title="推进紧密型医联体和基层医疗机构标准化建设",
        outcome="紧密型城市医疗集团和县域医共体实现全覆盖，基层医疗机构标准化达标率达到95%。",
        coop=("finance", "civil"),
        items=(
            "组建城市紧密型医疗集团",
            "开展基层医疗卫生机构标准化评估",
        ),
        districts=("taian", "xiuyan", "qianshan"),
        local="{unit}完成{n}所乡镇卫生院标准化建设",
        numbers=(2, 5),
        down="{unit}卫生院完成标准化改造",
        village="{unit}卫生室配齐基本诊疗设备",
        works=(
            "完成{n}所卫生院设备更新",
            "组织上级医院专家下沉坐诊{n}人次",
            "新签约家庭医生服务{n}户",
        ),
    ),
    ClauseSpec(
        "livelihood",
        "要兜牢民生保障底线，做好低保、特困和临时救助工作，确保各类救助资金按时足额发放，防止出现规模性返贫。",
        lead="civil",
        title="做好困难群众基本生活保障",
        outcome="各类救助资金按时足额发放，低保和特困供养对象动态管理到位。",
        coop=("finance", "labour", "agriculture"),
        items=(
            "开展低保对象动态复核",
            "按月发放各类救助资金",
        ),
        districts=("tiexi", "qianshan", "taian"),
        local="{unit}开展低保和特困对象动态复核",
        down="{unit}做好困难群众入户走访",
        village="{unit}建立困难群众台账并定期走访",
        works=(
            "入户核查救助对象{n}户",
            "发放救助资金{n}万元",
            "新纳入救助{n}户，退出{n}户",
        ),
        tags=("民生实事",),
    ),
    ClauseSpec(
        "livelihood",
        "要全面推进乡村振兴，巩固拓展脱贫攻坚成果，深入开展农村人居环境整治，建设宜居宜业和美乡村。",
        lead="agriculture",
        title="开展农村人居环境整治，建设和美乡村",
        outcome="农村卫生厕所普及率和生活垃圾收运处置体系覆盖率完成年度目标，建成和美乡村示范村20个。",
        coop=("civil", "water", "housing"),
        items=(
            "制定和美乡村示范村建设标准",
            "开展防止返贫动态监测",
        ),
        districts=("qianshan", "taian", "xiuyan", "haicheng"),
        local="{unit}建设和美乡村示范村{n}个",
        numbers=(2, 6),
        down="{unit}开展村庄清洁行动",
        village="{unit}完成户厕改造和村屯绿化",
        works=(
            "清运村内垃圾{n}吨",
            "完成户厕改造{n}户",
            "新增村屯绿化{n}亩",
        ),
    ),
)

PROBLEMS: tuple[ClauseSpec, ...] = (
    ClauseSpec(
        "green",
        "部分钢铁企业料场苫盖不到位、厂区道路积尘严重，无组织排放问题仍然突出。",
        lead="ecology",
        title="整治钢铁企业无组织排放问题",
        outcome="钢铁企业料场全部封闭或苫盖，厂区道路实现硬化和常态化保洁，无组织排放监测达标。",
        coop=("industry",),
        branches="{unit}督促辖区钢铁企业完成料场封闭和道路抑尘",
        works=(
            "现场核查钢铁企业料场{n}处",
            "督促企业新建封闭料棚{n}座",
            "对{n}家企业开展无组织排放监测",
        ),
        tags=("督察整改", "限期整改"),
        cadence="biweekly",
        priority=3,
        fate="notice",
    ),
    ClauseSpec(
        "green",
        "海城市部分菱镁企业环保设施不正常运行，矿区和运输道路扬尘污染群众反映强烈。",
        lead="haicheng",
        title="整治菱镁企业环保设施运行和矿区扬尘问题",
        outcome="菱镁企业环保设施稳定运行，矿区和运输道路扬尘得到有效控制，群众投诉明显下降。",
        coop=("ecology", "industry"),
        items=(
            "关停整合落后菱镁窑炉",
            "建设矿区运输道路抑尘设施",
            "开展菱镁企业环保设施运行专项检查",
        ),
        works=(
            "检查菱镁企业{n}家，责令整改{n}家",
            "完成运输道路硬化和喷淋设施{n}公里",
            "关停落后窑炉{n}座",
        ),
        tags=("督察整改", "限期整改"),
        cadence="biweekly",
        priority=3,
        fate="closed",
    ),
    ClauseSpec(
        "green",
        "城市污水处理厂提标改造进度滞后，部分区域雨污管网混接，汛期存在溢流现象。",
        lead="housing",
        title="推进污水处理厂提标改造和雨污混接整治",
        outcome="污水处理厂出水稳定达到一级A标准，排查发现的雨污混接点全部完成改造。",
        coop=("water", "ecology"),
        items=(
            "推进污水处理厂提标改造工程",
            "排查整治雨污混接点位",
        ),
        works=(
            "完成提标改造土建工程量的{n}%",
            "排查雨污混接点{n}处，完成改造{n}处",
            "汛前疏通排水管网{n}公里",
        ),
        tags=("督察整改", "限期整改"),
        priority=3,
        fate="objected",
    ),
    ClauseSpec(
        "green",
        "个别河段存在垃圾倾倒、违规设置排污口问题，部分河长巡河流于形式。",
        lead="water",
        title="清理河道垃圾，封堵违规排污口，压实河长责任",
        outcome="问题河段垃圾清理完毕，违规排污口全部封堵，河长巡河记录完整规范。",
        coop=("ecology", "agriculture"),
        items=(
            "开展问题河段垃圾清理",
            "封堵违规设置的排污口",
        ),
        districts=("taian",),
        local="{unit}清理河道垃圾并封堵违规排污口",
        works=(
            "清理河道垃圾{n}吨",
            "封堵违规排污口{n}个",
            "抽查河长巡河记录{n}份",
        ),
        tags=("督察整改", "立行立改"),
        priority=3,
        fate="review",
    ),
    ClauseSpec(
        "green",
        "部分县区生活垃圾填埋场渗滤液处理能力不足，存在环境风险。",
        lead="urban",
        title="提升生活垃圾填埋场渗滤液处理能力",
        outcome="渗滤液处理设施扩容完成并稳定运行，库存渗滤液全部处理达标。",
        coop=("ecology", "housing"),
        items=("制定填埋场渗滤液应急处置方案",),
        districts=("taian", "xiuyan"),
        local="{unit}完成垃圾填埋场渗滤液处理设施扩容",
        works=(
            "应急转运处理渗滤液{n}吨",
            "完成处理设施扩容设备安装{n}台（套）",
            "开展填埋场环境风险排查{n}次",
        ),
        tags=("督察整改", "限期整改"),
        priority=3,
        fate="overdue",
    ),
    ClauseSpec(
        "green",
        "畜禽养殖污染治理不彻底，部分规模养殖场粪污资源化利用设施配套不全。",
        lead="agriculture",
        title="完善规模养殖场粪污资源化利用设施",
        outcome="规模养殖场粪污处理设施装备配套率达到100%，畜禽粪污综合利用率达到80%以上。",
        coop=("ecology",),
        items=("建立规模养殖场粪污处理台账",),
        districts=("taian", "qianshan"),
        local="{unit}完成规模养殖场粪污处理设施配套",
        down="{unit}督促养殖场配套粪污处理设施",
        village="{unit}开展养殖户粪污还田指导",
        works=(
            "核查规模养殖场{n}家",
            "新建粪污贮存设施{n}处",
            "指导{n}户养殖户实施粪肥还田",
        ),
        tags=("督察整改", "持续整改"),
        cadence="quarterly",
        fate="long",
    ),
)
