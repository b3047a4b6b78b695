"""The demo city: an Anshan-like city with its bureaus, districts, townships and about seventy people.

Everything is written here in code, in our own words, and built through the organisation services, so the
demo's audit trail starts with the creation of every unit and person. Two builds give the same city: the
tables below are the only input, read in order.

Each bureau's ``duties`` sentence says in plain terms what the bureau answers for; later features match
directive clauses to lead units by these sentences, so they name the concrete work (air pollution, old
residential compounds, employment…) rather than the bureau's formal mandate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connections, transaction
from django.utils.translation import gettext as _

from luoshi.core.errors import ValidationFailed
from luoshi.duties import services as duty_services
from luoshi.duties.models import Duty
from luoshi.organizations import services as orgs
from luoshi.organizations.models import Organization, OrganizationKind, Role, User

# Shared by every demo account; printed by ``luoshi demo``. The demo is for trying Luoshi out on one
# computer, never for real data, so a published password is the point, not a leak.
DEMO_PASSWORD = "luoshi-demo-2026"  # noqa: S105
ROOT_NAME = "鞍山市人民政府"
ADMIN_USERNAME = "admin"

K = OrganizationKind


@dataclass(frozen=True)
class UnitSpec:
    """One organisation of the demo city; ``parent`` is another unit's ``key``."""

    key: str
    parent: str | None
    kind: str
    name: str
    short_name: str
    duties: str
    region_code: str | None = None


@dataclass(frozen=True)
class PersonSpec:
    """One demo account with its single role; ``unit`` is a unit's ``key``."""

    username: str
    name: str
    unit: str
    role: str
    post: str


def _bureau(key: str, name: str, short_name: str, duties: str) -> UnitSpec:
    return UnitSpec(
        key=key, parent="city", kind=K.DEPARTMENT, name=name, short_name=short_name, duties=duties
    )


UNITS: tuple[UnitSpec, ...] = (
    UnitSpec(
        "city",
        None,
        K.GOVERNMENT,
        ROOT_NAME,
        "市政府",
        "统筹全市经济社会发展，组织落实上级和市委的决策部署，领导市政府各部门和各区县政府的工作。",
        "210300",
    ),
    _bureau(
        "office",
        "市人民政府办公室",
        "市政府办",
        "协助市政府领导处理日常政务，负责文电、会务、政务信息和综合协调。",
    ),
    _bureau(
        "supervision",
        "市政府督查室",
        "督查室",
        "对市政府重大决策部署、重点工作和领导批示事项开展督查督办，跟踪落实进度并通报结果。",
    ),
    _bureau(
        "development",
        "市发展和改革委员会",
        "市发展改革委",
        "拟订全市国民经济和社会发展规划，统筹重大项目建设和产业结构调整，牵头能耗双控目标管理。",
    ),
    _bureau(
        "industry",
        "市工业和信息化局",
        "市工信局",
        "推动钢铁、装备制造等传统工业转型升级和数字化改造，培育新兴产业集群，调度工业经济运行。",
    ),
    _bureau(
        "ecology",
        "市生态环境局",
        "生态环境局",
        "统筹大气、水和土壤污染防治，推进减污降碳，开展环境监测和执法，督促环保问题整改销号。",
    ),
    _bureau(
        "housing",
        "市住房和城乡建设局",
        "市住建局",
        "负责城市建设和老旧小区改造，监管建筑市场和工程质量安全，推进城镇住房保障。",
    ),
    _bureau(
        "land",
        "市自然资源局",
        "市自然资源局",
        "编制国土空间规划，管理土地供应和矿产资源开发，落实耕地保护和地质灾害防治。",
    ),
    _bureau(
        "science",
        "市科学技术局",
        "市科技局",
        "建设科技创新平台，培育高新技术企业和科技型中小企业，促进科技成果在本地转化。",
    ),
    _bureau(
        "civil",
        "市民政局",
        "市民政局",
        "发展居家和社区养老服务，实施困难群众社会救助，指导城乡社区治理和社会组织管理。",
    ),
    _bureau(
        "labour",
        "市人力资源和社会保障局",
        "市人社局",
        "促进就业创业和技能培训，经办养老、失业、工伤保险，做好人才引进和劳动关系协调。",
    ),
    _bureau(
        "finance",
        "市财政局",
        "市财政局",
        "编制和执行财政预算，保障重点工作资金，开展预算绩效管理和政府债务风险防控。",
    ),
    _bureau(
        "transport",
        "市交通运输局",
        "市交通局",
        "建设和养护公路与交通枢纽，管理城乡公共交通和道路运输，发展现代物流。",
    ),
    _bureau(
        "water",
        "市水利局",
        "市水利局",
        "管理水资源和水利工程，组织防汛抗旱，落实河湖长制，保障城乡供水安全。",
    ),
    _bureau(
        "agriculture",
        "市农业农村局",
        "市农业农村局",
        "稳定粮食和重要农产品生产，推进乡村振兴和农村人居环境整治，监管农产品质量安全。",
    ),
    _bureau(
        "commerce",
        "市商务局",
        "市商务局",
        "组织招商引资，发展对外贸易和利用外资，促进消费升级和商贸流通。",
    ),
    _bureau(
        "culture",
        "市文化旅游和广播电视局",
        "市文旅局",
        "发展文化事业和旅游产业，管理文物保护、景区服务和广播电视，打造千山等文旅品牌。",
    ),
    _bureau(
        "health",
        "市卫生健康委员会",
        "市卫生健康委",
        "建设医疗卫生服务体系，组织疾病预防控制和突发公共卫生事件应对，推进健康城市建设。",
    ),
    _bureau(
        "emergency",
        "市应急管理局",
        "市应急局",
        "监管安全生产，组织防灾减灾和应急救援，排查整治重大风险隐患。",
    ),
    _bureau(
        "market",
        "市市场监督管理局",
        "市市场监管局",
        "登记市场主体，监管食品药品、特种设备和产品质量，维护公平竞争的市场秩序。",
    ),
    _bureau(
        "statistics",
        "市统计局",
        "市统计局",
        "组织统计调查和经济普查，发布统计数据，核查数据质量，防范统计造假。",
    ),
    _bureau(
        "education",
        "市教育局",
        "市教育局",
        "发展学前、义务、高中和职业教育，优化学校布局，推进教育公平和质量提升。",
    ),
    _bureau(
        "police",
        "市公安局",
        "市公安局",
        "维护社会治安，打击违法犯罪，管理道路交通安全、户籍和出入境事务。",
    ),
    _bureau(
        "urban",
        "市城市管理综合行政执法局",
        "市城管执法局",
        "管理市容环境卫生和市政设施，推进生活垃圾分类，开展城市管理综合执法。",
    ),
    _bureau(
        "energy",
        "市能源局",
        "市能源局",
        "拟订能源发展规划，保障煤电油气稳定供应，推动清洁能源利用和节能降耗。",
    ),
    _bureau(
        "data",
        "市大数据管理局",
        "市大数据局",
        "统筹政务数据共享和数字政府建设，推进政务服务一网通办和城市运行数字化治理。",
    ),
    _bureau(
        "business",
        "市营商环境建设局",
        "市营商局",
        "优化营商环境，推进审批制度改革和政务服务标准化，受理和督办企业诉求。",
    ),
    _bureau(
        "assets",
        "市人民政府国有资产监督管理委员会",
        "市国资委",
        "监管市属国有资产，推进国有企业改革重组和布局优化，考核国企经营业绩。",
    ),
    _bureau(
        "justice",
        "市司法局",
        "市司法局",
        "推进法治政府建设，审查规范性文件，办理行政复议，提供公共法律服务和人民调解。",
    ),
    _bureau(
        "audit",
        "市审计局",
        "市审计局",
        "审计财政收支和重大项目资金，跟踪审计重大政策落实，督促审计发现问题整改。",
    ),
    # Since the vertical reform of environmental management, district environment offices are branches
    # of the city bureau, which is why the ecology head can push his bureau's work down to them.
    UnitSpec(
        "ecology_tiedong",
        "ecology",
        K.DEPARTMENT,
        "市生态环境局铁东分局",
        "铁东分局",
        "负责铁东区辖区内的生态环境监管、污染源执法和环境问题整改督办。",
    ),
    UnitSpec(
        "ecology_tiexi",
        "ecology",
        K.DEPARTMENT,
        "市生态环境局铁西分局",
        "铁西分局",
        "负责铁西区辖区内的生态环境监管、污染源执法和环境问题整改督办。",
    ),
    UnitSpec(
        "ecology_lishan",
        "ecology",
        K.DEPARTMENT,
        "市生态环境局立山分局",
        "立山分局",
        "负责立山区辖区内的生态环境监管、污染源执法和环境问题整改督办。",
    ),
    # The seven districts and counties, with their administrative division codes.
    UnitSpec(
        "tiedong",
        "city",
        K.DISTRICT,
        "铁东区人民政府",
        "铁东区",
        "组织落实铁东区中心城区的经济社会发展，做强商贸服务业，办理市政府交办事项。",
        "210302",
    ),
    UnitSpec(
        "tiexi",
        "city",
        K.DISTRICT,
        "铁西区人民政府",
        "铁西区",
        "组织落实铁西区的经济社会发展，推动老工业区装备制造业改造提升，办理市政府交办事项。",
        "210303",
    ),
    UnitSpec(
        "lishan",
        "city",
        K.DISTRICT,
        "立山区人民政府",
        "立山区",
        "组织落实立山区的经济社会发展，推进钢铁配套产业升级和老城区更新，办理市政府交办事项。",
        "210304",
    ),
    UnitSpec(
        "qianshan",
        "city",
        K.DISTRICT,
        "千山区人民政府",
        "千山区",
        "组织落实千山区的经济社会发展，统筹千山风景区周边旅游和城郊农业，办理市政府交办事项。",
        "210311",
    ),
    UnitSpec(
        "taian",
        "city",
        K.DISTRICT,
        "台安县人民政府",
        "台安县",
        "组织落实台安县的经济社会发展，稳定粮食生产和现代农业，办理市政府交办事项。",
        "210321",
    ),
    UnitSpec(
        "xiuyan",
        "city",
        K.DISTRICT,
        "岫岩满族自治县人民政府",
        "岫岩县",
        "组织落实岫岩满族自治县的经济社会发展，发展玉石产业和山区林果业，保护满族文化。",
        "210323",
    ),
    UnitSpec(
        "haicheng",
        "city",
        K.DISTRICT,
        "海城市人民政府",
        "海城市",
        "组织落实海城市的经济社会发展，推动菱镁产业绿色转型和西柳服装市场升级，办理市政府交办事项。",
        "210381",
    ),
    # Streets under 铁西区 and townships under 千山区, with a community and two villages below them.
    UnitSpec(
        "tiexi_xingsheng",
        "tiexi",
        K.TOWNSHIP,
        "铁西区兴盛街道",
        "兴盛街道",
        "负责兴盛街道辖区的社区治理、民生服务和区政府交办事项。",
    ),
    UnitSpec(
        "tiexi_fanrong",
        "tiexi",
        K.TOWNSHIP,
        "铁西区繁荣街道",
        "繁荣街道",
        "负责繁荣街道辖区的社区治理、民生服务和区政府交办事项。",
    ),
    UnitSpec(
        "tiexi_yongle",
        "tiexi",
        K.TOWNSHIP,
        "铁西区永乐街道",
        "永乐街道",
        "负责永乐街道辖区的社区治理、民生服务和区政府交办事项。",
    ),
    UnitSpec(
        "xingsheng_guangming",
        "tiexi_xingsheng",
        K.COMMUNITY,
        "兴盛街道光明社区",
        "光明社区",
        "负责光明社区居民服务、网格管理和环境卫生。",
    ),
    UnitSpec(
        "qianshan_ganquan",
        "qianshan",
        K.TOWNSHIP,
        "千山区甘泉镇",
        "甘泉镇",
        "负责甘泉镇的乡村振兴、农村人居环境整治和区政府交办事项。",
    ),
    UnitSpec(
        "qianshan_datun",
        "qianshan",
        K.TOWNSHIP,
        "千山区大屯镇",
        "大屯镇",
        "负责大屯镇的乡村振兴、农村人居环境整治和区政府交办事项。",
    ),
    UnitSpec(
        "qianshan_tangjiafang",
        "qianshan",
        K.TOWNSHIP,
        "千山区唐家房镇",
        "唐家房镇",
        "负责唐家房镇的乡村振兴、农村人居环境整治和区政府交办事项。",
    ),
    UnitSpec(
        "ganquan_nangou",
        "qianshan_ganquan",
        K.COMMUNITY,
        "甘泉镇南沟村",
        "南沟村",
        "负责南沟村村务管理、农业生产和人居环境整治。",
    ),
    UnitSpec(
        "ganquan_houying",
        "qianshan_ganquan",
        K.COMMUNITY,
        "甘泉镇后英村",
        "后英村",
        "负责后英村村务管理、农业生产和人居环境整治。",
    ),
)

L, H, W, S, A = Role.LEADER, Role.HEAD, Role.HANDLER, Role.SUPERVISOR, Role.ADMIN

PEOPLE: tuple[PersonSpec, ...] = (
    # The municipal government and its supervision office (the personas of SCENARIOS.md come first).
    PersonSpec(ADMIN_USERNAME, "系统管理员", "city", A, "系统管理员"),
    PersonSpec("zhaomin", "赵敏", "supervision", S, "督查专员"),
    PersonSpec("zhouwenbo", "周文博", "city", L, "副市长"),
    PersonSpec("liqiang", "李强", "ecology", H, "局长"),
    PersonSpec("wangfang", "王芳", "tiexi", W, "区政府办公室科员"),
    PersonSpec("chengang", "陈刚", "qianshan_ganquan", W, "党政办科员"),
    PersonSpec("liujianguo", "刘建国", "city", L, "市长"),
    PersonSpec("wuhaiyan", "吴海燕", "city", L, "副市长"),
    PersonSpec("zhengkai", "郑凯", "office", H, "主任"),
    PersonSpec("hexiaoyu", "何晓雨", "office", W, "秘书科科员"),
    PersonSpec("fengjun", "冯军", "supervision", H, "主任"),
    PersonSpec("qianlihua", "钱丽华", "supervision", S, "督查专员"),
    # One head for every bureau, and a handler in the bureaus that carry the most tasks.
    PersonSpec("gaozhiqiang", "高志强", "development", H, "主任"),
    PersonSpec("yangfan", "杨帆", "development", W, "规划科科员"),
    PersonSpec("luoyong", "罗勇", "industry", H, "局长"),
    PersonSpec("huangli", "黄丽", "industry", W, "产业科科员"),
    PersonSpec("zhangwei", "张伟", "ecology", W, "大气环境科科员"),
    PersonSpec("songjianhua", "宋建华", "housing", H, "局长"),
    PersonSpec("linfeng", "林峰", "housing", W, "城建科科员"),
    PersonSpec("tangming", "唐明", "land", H, "局长"),
    PersonSpec("hanxue", "韩雪", "science", H, "局长"),
    PersonSpec("caoli", "曹丽", "civil", H, "局长"),
    PersonSpec("guojing", "郭静", "civil", W, "养老服务科科员"),
    PersonSpec("xuwei", "徐伟", "labour", H, "局长"),
    PersonSpec("dengpeng", "邓鹏", "finance", H, "局长"),
    PersonSpec("xiaojun", "肖军", "transport", H, "局长"),
    PersonSpec("tianye", "田野", "water", H, "局长"),
    PersonSpec("duxiaofeng", "杜晓峰", "agriculture", H, "局长"),
    PersonSpec("jiangtao", "蒋涛", "commerce", H, "局长"),
    PersonSpec("panyue", "潘悦", "culture", H, "局长"),
    PersonSpec("yuanhong", "袁红", "health", H, "主任"),
    PersonSpec("lugang", "卢刚", "emergency", H, "局长"),
    PersonSpec("zhulin", "朱琳", "emergency", W, "安全生产科科员"),
    PersonSpec("jiangli", "姜丽", "market", H, "局长"),
    PersonSpec("cuihao", "崔浩", "statistics", H, "局长"),
    PersonSpec("renjing", "任静", "education", H, "局长"),
    PersonSpec("yaolei", "姚磊", "police", H, "局长"),
    PersonSpec("fangyu", "方宇", "urban", H, "局长"),
    PersonSpec("shijun", "石军", "energy", H, "局长"),
    PersonSpec("xiongfei", "熊飞", "data", H, "局长"),
    PersonSpec("jinli", "金莉", "business", H, "局长"),
    PersonSpec("weidong", "魏东", "assets", H, "主任"),
    PersonSpec("qinhai", "秦海", "justice", H, "局长"),
    PersonSpec("lvping", "吕萍", "audit", H, "局长"),
    PersonSpec("liangbo", "梁波", "ecology_tiexi", H, "分局局长"),
    PersonSpec("xieting", "谢婷", "ecology_tiexi", W, "执法大队队员"),
    PersonSpec("hujun", "胡军", "ecology_tiedong", H, "分局局长"),
    PersonSpec("songwei", "宋伟", "ecology_lishan", H, "分局局长"),
    # Districts and counties: the head of government, and supervisors, administrators and handlers.
    PersonSpec("wangjianjun", "王建军", "tiedong", L, "区长"),
    PersonSpec("sunli", "孙丽", "tiedong", W, "区政府办公室科员"),
    PersonSpec("liming", "李明", "tiexi", L, "区长"),
    PersonSpec("liuyang", "刘洋", "tiexi", S, "区政府督查室督查员"),
    PersonSpec("chenchen", "陈晨", "tiexi", A, "信息化管理员"),
    PersonSpec("zhaogang", "赵刚", "lishan", L, "区长"),
    PersonSpec("huanglei", "黄磊", "lishan", W, "区政府办公室科员"),
    PersonSpec("xuwen", "许文", "qianshan", L, "区长"),
    PersonSpec("qiulei", "邱磊", "qianshan", S, "区政府督查室督查员"),
    PersonSpec("zengmin", "曾敏", "qianshan", A, "信息化管理员"),
    PersonSpec("lutao", "陆涛", "taian", L, "县长"),
    PersonSpec("guanming", "关明", "xiuyan", L, "县长"),
    PersonSpec("suqiang", "苏强", "haicheng", L, "市长"),
    PersonSpec("fanli", "范丽", "haicheng", S, "督查室督查员"),
    PersonSpec("dongjie", "董杰", "haicheng", A, "信息化管理员"),
    # Handlers of the districts whose office has none above: someone must acknowledge and report what the
    # city assigns to them.
    PersonSpec("majing", "马静", "qianshan", W, "区政府办公室科员"),
    PersonSpec("yuhao", "于浩", "taian", W, "县政府办公室科员"),
    PersonSpec("tongxin", "佟欣", "xiuyan", W, "县政府办公室科员"),
    PersonSpec("gengbo", "耿波", "haicheng", W, "市政府办公室科员"),
    # Streets, townships, a community and a village.
    PersonSpec("baixue", "白雪", "tiexi_xingsheng", H, "街道办事处主任"),
    PersonSpec("chengliang", "程亮", "tiexi_xingsheng", W, "街道综合办科员"),
    PersonSpec("yinli", "尹丽", "tiexi_fanrong", W, "街道综合办科员"),
    PersonSpec("houjie", "侯杰", "tiexi_yongle", W, "街道综合办科员"),
    PersonSpec("longfei", "龙飞", "qianshan_ganquan", H, "镇长"),
    PersonSpec("duanpeng", "段鹏", "qianshan_datun", W, "党政办科员"),
    PersonSpec("kongyan", "孔燕", "xingsheng_guangming", W, "社区网格员"),
    PersonSpec("shaojun", "邵军", "ganquan_nangou", W, "村委会委员"),
    # The security and audit administrators (see DUTIES): posts without administrator rights.
    PersonSpec("xuqing", "徐清", "data", W, "网络安全管理员"),
    PersonSpec("yanlan", "严岚", "audit", W, "安全审计员"),
)

# Separation of duties (三权分立): three people, one duty each. The admin is the system administrator.
DUTIES = {"admin": Duty.SYSTEM, "xuqing": Duty.SECURITY, "yanlan": Duty.AUDIT}

# The personas of SCENARIOS.md, listed first when the accounts are printed.
PERSONAS = ("admin", "zhaomin", "zhouwenbo", "liqiang", "wangfang", "chengang")


@dataclass(frozen=True)
class DemoAccount:
    """What ``luoshi demo`` prints for one account."""

    username: str
    name: str
    unit: str
    role: str
    post: str
    password: str
    persona: bool
    duty: str = ""


@dataclass
class DemoCity:
    """The units (by key, see ``UNITS``) and people (by username) of a freshly built demo city."""

    units: dict[str, Organization]
    people: dict[str, User]
    admin_password: str
    password: str = DEMO_PASSWORD

    @property
    def government(self) -> Organization:
        return self.units["city"]

    @property
    def supervision_office(self) -> Organization:
        return self.units["supervision"]

    def accounts(self) -> list[DemoAccount]:
        return demo_accounts(admin_password=self.admin_password)


class DemoError(RuntimeError):
    """The demo cannot be loaded or reset as asked; the message says why and what to do."""


def is_loaded() -> bool:
    """Whether the database holds the demo city (its root unit)."""
    return Organization.objects.filter(parent__isnull=True, name=ROOT_NAME).exists()


def has_organizations() -> bool:
    return Organization.objects.exists()


@transaction.atomic
def build_city(*, admin_password: str = DEMO_PASSWORD) -> DemoCity:
    """Create the demo city in an empty database, through the services (so it is all in the audit trail).

    Takes a few seconds: a password hash costs ~0.3 s by design, so the shared demo password is
    validated and hashed once and that one hash is given to every demo account (``password_hash``).
    Only the administrator's password, which may differ, is hashed on its own.
    """
    if has_organizations():
        raise DemoError(_("The database already holds organisations; the demo city needs an empty one."))
    try:
        validate_password(DEMO_PASSWORD)
    except ValidationError as exc:  # pragma: no cover - the constant above satisfies the validators
        raise DemoError(" ".join(exc.messages)) from exc
    shared_hash = make_password(DEMO_PASSWORD)

    units: dict[str, Organization] = {}
    sort_orders: dict[str | None, int] = {}
    for spec in UNITS:
        sort_orders[spec.parent] = sort_orders.get(spec.parent, 0) + 10
        units[spec.key] = orgs.organization_create(
            actor=None,
            parent=units[spec.parent] if spec.parent else None,
            name=spec.name,
            kind=spec.kind,
            short_name=spec.short_name,
            region_code=spec.region_code,
            duties=spec.duties,
            sort_order=sort_orders[spec.parent],
        )

    people: dict[str, User] = {}
    for person in PEOPLE:
        is_admin = person.username == ADMIN_USERNAME
        own_password = is_admin and admin_password != DEMO_PASSWORD
        try:
            people[person.username] = orgs.person_create(
                actor=None,
                username=person.username,
                display_name=person.name,
                password=admin_password if own_password else None,
                password_hash="" if own_password else shared_hash,
                memberships=[(units[person.unit], person.role, person.post)],
                # The first administrator may do everything, so a new installation can be set up.
                is_superuser=is_admin,
            )
        except ValidationFailed as exc:
            problems = "; ".join(m for messages in exc.fields.values() for m in messages)
            raise DemoError(f"{exc.message} {problems}".strip()) from exc
    for username, duty in DUTIES.items():
        duty_services.duty_grant(
            actor=None, person=people[username], duty=duty, reason=_("Demo city: separation of duties")
        )
    return DemoCity(units=units, people=people, admin_password=admin_password)


def demo_accounts(*, admin_password: str | None) -> list[DemoAccount]:
    """The demo accounts, personas first, then in the order of the tables above.

    ``admin_password`` None means it is not known (it was set when the city was loaded).
    """
    units = {spec.key: spec for spec in UNITS}
    roles = dict(Role.choices)
    duties = dict(Duty.choices)
    accounts = [
        DemoAccount(
            username=p.username,
            name=p.name,
            unit=units[p.unit].name,
            # The duty shows in the role column, so the printed list names the three administrators.
            role=" · ".join(
                [str(roles[p.role])] + ([str(duties[DUTIES[p.username]])] if p.username in DUTIES else [])
            ),
            post=p.post,
            password=(
                (admin_password or _("(the one you set)")) if p.username == ADMIN_USERNAME else DEMO_PASSWORD
            ),
            persona=p.username in PERSONAS,
            duty=DUTIES.get(p.username, ""),
        )
        for p in PEOPLE
    ]
    # Personas first, then the holders of the duties, then everyone else in table order.
    return sorted(accounts, key=lambda a: (not a.persona, not a.duty))


def sqlite_files() -> list[Path]:
    """The embedded database and its write-ahead log files (empty when the database is not SQLite)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.sqlite3":
        return []
    path = Path(db["NAME"])
    return [path.with_name(path.name + suffix) for suffix in ("", "-wal", "-shm", "-journal")]


def reset_database(*, force: bool = False) -> list[Path]:
    """Start the demo afresh: delete the embedded SQLite database, so the next ``migrate`` builds a new one.

    Rows are not deleted one by one: the audit trail is append-only and database triggers refuse to
    delete its events, as they should in a real installation. On another database (PostgreSQL) this
    empties every table with ``flush``, which lifts that refusal for a whole-database wipe, but only
    with ``force``: such a database may hold more than the demo. Returns the files deleted.
    """
    files = sqlite_files()
    if not files:
        if not force:
            raise DemoError(
                _(
                    "--reset would empty every table of the database in DATABASE_URL, not only the demo's. "
                    "Add --force if that is what you want."
                )
            )
        call_command("flush", interactive=False, verbosity=0)
        return []
    connections.close_all()
    removed = [path for path in files if path.exists()]
    for path in removed:
        path.unlink()
    return removed
