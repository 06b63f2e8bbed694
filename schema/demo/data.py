"""The words of the demo district: real place names, synthetic everything else.

Who reads this: `schema.demo.district`, which builds a deterministic demo district from these lists.
The towns, zones and their codes are those of shared/DOMAIN.md. The criteria paraphrase the
kind of requirement Chinese work-safety checklists hold (fire lanes, hazardous-chemical
storage, special-equipment certificates...) with the law they usually cite; they are
illustrative, not an official checklist. The holidays are an illustrative calendar with
swapped working days (调休), not the State Council's notice.
"""

AREAS = [
    # code, Chinese name, English name, pilot (two zones and three streets go first)
    ("xinhe", "新河街道", "Xinhe Street", True),
    ("chadian", "茶淀街道", "Chadian Street", True),
    ("bonded-zone", "保税区", "Bonded Zone", True),
    ("hightech-park", "高新区", "High-tech Park", True),
    ("teda", "开发区", "TEDA", False),
    ("dongjiang", "东疆", "Dongjiang", False),
    ("eco-city", "中新天津生态城", "Sino-Singapore Eco-city", False),
    ("xingang", "新港", "Xingang", True),
    ("xinbei", "新北", "Xinbei", False),
    ("hangzhoudao", "杭州道", "Hangzhoudao", False),
    ("beitang", "北塘", "Beitang", False),
    ("hujiayuan", "胡家园", "Hujiayuan", False),
    ("hangu", "汉沽", "Hangu", False),
    ("zhaishang", "寨上", "Zhaishang", False),
    ("yangjiabo", "杨家泊镇", "Yangjiabo Town", False),
    ("dagang", "大港", "Dagang", False),
    ("gulin", "古林", "Gulin", False),
    ("haibin", "海滨", "Haibin", False),
    ("taiping", "太平镇", "Taiping Town", False),
    ("xiaowangzhuang", "小王庄镇", "Xiaowangzhuang Town", False),
    ("zhongtang", "中塘镇", "Zhongtang Town", False),
]

COMMUNITIES = [("一社区", "Community 1"), ("二社区", "Community 2"), ("三社区", "Community 3")]

INDUSTRIES = {
    # industry: (unit kind, Chinese name stem, English stem)
    "hazardous_chemicals": ("enterprise", "化工有限公司", "Chemical Co."),
    "port_logistics": ("enterprise", "港口物流有限公司", "Port Logistics Co."),
    "construction": ("project", "建设工程项目部", "Construction Project"),
    "crowded_places": ("public_place", "商业广场", "Shopping Plaza"),
    "gas": ("enterprise", "燃气有限公司", "Gas Co."),
    "special_equipment": ("enterprise", "机械设备有限公司", "Machinery Co."),
    "warehousing": ("enterprise", "仓储有限公司", "Warehousing Co."),
    "manufacturing": ("enterprise", "制造有限公司", "Manufacturing Co."),
}

WORK_SAFETY_LAW = "《中华人民共和国安全生产法》"
FIRE_LAW = "《中华人民共和国消防法》"
CHEM_REG = "《危险化学品安全管理条例》"
EQUIP_LAW = "《中华人民共和国特种设备安全法》"
GAS_REG = "《城镇燃气管理条例》"
BUILD_REG = "《建设工程安全生产管理条例》"

# (criterion zh, criterion en, hazard zh, hazard en, major if failed, rectification days, law)
_COMMON = [
    ("消防通道保持畅通", "Fire lanes are kept clear", "消防通道堵塞", "Fire lane blocked", 0, 3, FIRE_LAW),
    ("安全出口标志完好有效", "Exit signs are intact and lit", "安全出口标志损坏", "Exit sign broken", 0, 7, FIRE_LAW),
    (
        "灭火器材配置齐全并在有效期内",
        "Extinguishers present and in date",
        "灭火器过期失效",
        "Extinguisher expired",
        0,
        7,
        FIRE_LAW,
    ),
    (
        "主要负责人和安全管理人员持证上岗",
        "Managers hold safety certificates",
        "安全管理人员未持证上岗",
        "Safety manager not certified",
        0,
        30,
        WORK_SAFETY_LAW,
    ),
    (
        "开展全员安全生产教育培训并建档",
        "All staff trained and records kept",
        "员工安全培训记录缺失",
        "Staff training records missing",
        0,
        15,
        WORK_SAFETY_LAW,
    ),
    (
        "制定生产安全事故应急预案并演练",
        "Emergency plan written and drilled",
        "应急预案未演练",
        "Emergency plan never drilled",
        0,
        30,
        WORK_SAFETY_LAW,
    ),
    (
        "电气线路敷设规范无私拉乱接",
        "Wiring installed properly, no ad-hoc cables",
        "电气线路私拉乱接",
        "Ad-hoc electrical wiring",
        0,
        7,
        FIRE_LAW,
    ),
    (
        "建立隐患排查治理台账",
        "Hazard register kept up to date",
        "隐患排查台账未建立",
        "No hazard register",
        0,
        15,
        WORK_SAFETY_LAW,
    ),
]

_SPECIFIC = {
    "hazardous_chemicals": [
        (
            "危险化学品分类分区储存",
            "Hazardous chemicals stored by class",
            "危险化学品混存混放",
            "Incompatible chemicals stored together",
            1,
            15,
            CHEM_REG,
        ),
        (
            "可燃有毒气体报警装置正常运行",
            "Gas detectors in working order",
            "可燃气体报警器失效",
            "Combustible gas detector not working",
            1,
            7,
            CHEM_REG,
        ),
        (
            "重大危险源监测监控系统接入平台",
            "Major hazard source monitored online",
            "重大危险源监控未联网",
            "Major hazard source monitoring offline",
            1,
            30,
            CHEM_REG,
        ),
        (
            "动火作业办理审批手续",
            "Hot work has a permit",
            "动火作业未审批",
            "Hot work without permit",
            1,
            3,
            WORK_SAFETY_LAW,
        ),
    ],
    "port_logistics": [
        (
            "集装箱堆码高度符合规定",
            "Container stacks within height limits",
            "集装箱超高堆码",
            "Containers stacked too high",
            0,
            7,
            WORK_SAFETY_LAW,
        ),
        (
            "危险货物集装箱单独隔离堆放",
            "Dangerous-goods containers segregated",
            "危险货物箱未隔离",
            "Dangerous-goods container not segregated",
            1,
            3,
            CHEM_REG,
        ),
        (
            "装卸机械定期检验合格",
            "Handling machines inspected on time",
            "装卸机械超期未检",
            "Handling machine overdue for inspection",
            0,
            15,
            EQUIP_LAW,
        ),
    ],
    "construction": [
        (
            "深基坑支护方案经专家论证",
            "Deep excavation shoring reviewed by experts",
            "深基坑支护未论证",
            "Deep excavation shoring not reviewed",
            1,
            15,
            BUILD_REG,
        ),
        (
            "高处作业人员系挂安全带",
            "Workers at height wear harnesses",
            "高处作业未系安全带",
            "Work at height without harness",
            0,
            1,
            BUILD_REG,
        ),
        (
            "脚手架搭设验收合格",
            "Scaffolding inspected and accepted",
            "脚手架未经验收使用",
            "Scaffolding used without acceptance",
            1,
            7,
            BUILD_REG,
        ),
        (
            "塔吊安装后检验合格",
            "Tower crane inspected after erection",
            "塔吊未检验投入使用",
            "Tower crane used before inspection",
            1,
            7,
            EQUIP_LAW,
        ),
    ],
    "crowded_places": [
        (
            "人员密集场所疏散通道畅通",
            "Evacuation routes clear",
            "疏散通道被占用",
            "Evacuation route obstructed",
            1,
            1,
            FIRE_LAW,
        ),
        (
            "自动喷水灭火系统完好有效",
            "Sprinklers in working order",
            "喷淋系统故障",
            "Sprinkler system faulty",
            0,
            15,
            FIRE_LAW,
        ),
        (
            "大型活动制定安全保卫方案",
            "Large events have a security plan",
            "大型活动无安保方案",
            "Large event without security plan",
            0,
            7,
            WORK_SAFETY_LAW,
        ),
    ],
    "gas": [
        ("燃气管道无占压", "Gas pipelines not built over", "燃气管道被占压", "Gas pipeline built over", 1, 30, GAS_REG),
        (
            "液化石油气钢瓶定期检验",
            "LPG cylinders inspected on time",
            "液化气钢瓶超期未检",
            "LPG cylinder overdue for inspection",
            1,
            7,
            GAS_REG,
        ),
        (
            "餐饮场所安装燃气泄漏报警装置",
            "Restaurants have gas leak alarms",
            "未安装燃气报警器",
            "No gas leak alarm fitted",
            0,
            15,
            GAS_REG,
        ),
    ],
    "special_equipment": [
        (
            "特种设备定期检验合格",
            "Special equipment inspected on time",
            "特种设备超期未检",
            "Special equipment overdue for inspection",
            0,
            15,
            EQUIP_LAW,
        ),
        (
            "特种设备作业人员持证上岗",
            "Operators hold special-equipment licences",
            "叉车司机无证驾驶",
            "Forklift driver unlicensed",
            0,
            7,
            EQUIP_LAW,
        ),
        (
            "压力容器安全附件完好",
            "Pressure vessel safety valves intact",
            "压力容器安全阀失效",
            "Pressure vessel safety valve failed",
            1,
            7,
            EQUIP_LAW,
        ),
    ],
    "warehousing": [
        (
            "仓库内不得设置员工宿舍",
            "No staff dormitory inside warehouses",
            "仓库内设置员工宿舍",
            "Staff living inside warehouse",
            1,
            3,
            FIRE_LAW,
        ),
        (
            "货物堆垛与灯具保持安全距离",
            "Goods kept away from lamps",
            "货物堆垛距灯具过近",
            "Goods stacked too close to lamps",
            0,
            3,
            FIRE_LAW,
        ),
        (
            "冷库氨制冷系统安全防护到位",
            "Ammonia refrigeration safeguarded",
            "冷库液氨泄漏风险",
            "Ammonia leak risk in cold store",
            1,
            15,
            CHEM_REG,
        ),
    ],
    "manufacturing": [
        (
            "粉尘涉爆场所除尘系统规范",
            "Dust removal systems meet standards",
            "粉尘涉爆除尘系统不规范",
            "Explosive dust extraction inadequate",
            1,
            15,
            WORK_SAFETY_LAW,
        ),
        (
            "有限空间作业审批并检测",
            "Confined space work permitted and gas-tested",
            "有限空间作业未审批",
            "Confined space entry without permit",
            1,
            3,
            WORK_SAFETY_LAW,
        ),
        (
            "机械设备防护罩完好",
            "Machine guards in place",
            "机械防护罩缺失",
            "Machine guard missing",
            0,
            7,
            WORK_SAFETY_LAW,
        ),
    ],
}


def criteria_for(industry: str) -> list[tuple]:
    """At least ten criteria per industry: the common ones plus the industry's own."""
    return _COMMON + _SPECIFIC[industry]


LOCATIONS = [
    "一号车间",
    "二号仓库",
    "罐区",
    "配电室",
    "办公楼一层",
    "地下车库",
    "装卸区",
    "锅炉房",
    "东侧围墙",
    "食堂后厨",
    "三楼走廊",
    "南门入口",
]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰飞鹏辉建国志红海波斌宇浩凯"
COMPANY_WORDS = [
    "海丰",
    "鑫源",
    "恒泰",
    "滨海",
    "港湾",
    "华信",
    "中远",
    "金桥",
    "天成",
    "宏达",
    "津港",
    "瑞丰",
    "远航",
    "泰和",
    "新科",
    "渤海",
    "安达",
    "永盛",
    "利民",
    "众诚",
]

PLAN_KINDS = [
    ("routine", "日常监督检查", "Routine supervision"),
    ("campaign", "安全生产专项整治三年行动", "Three-year special rectification campaign"),
    ("unannounced", "四不两直暗查暗访", "Unannounced inspections (四不两直)"),
    ("lookback", "示范城市创建回头看", "Model-city look-back review"),
    ("enforcement", "执法检查", "Enforcement inspection"),
]

# (day, kind, name): an illustrative calendar for 2026-2027 with swapped working days.
HOLIDAYS = [
    ("2026-01-01", "holiday", "元旦"),
    ("2026-01-02", "holiday", "元旦"),
    ("2026-01-04", "workday", "元旦调休"),
    *[(f"2026-02-{d:02d}", "holiday", "春节") for d in range(15, 24)],
    ("2026-02-14", "workday", "春节调休"),
    ("2026-02-28", "workday", "春节调休"),
    ("2026-04-05", "holiday", "清明节"),
    ("2026-04-06", "holiday", "清明节"),
    *[(f"2026-05-0{d}", "holiday", "劳动节") for d in range(1, 6)],
    ("2026-05-09", "workday", "劳动节调休"),
    ("2026-06-19", "holiday", "端午节"),
    ("2026-09-25", "holiday", "中秋节"),
    *[(f"2026-10-0{d}", "holiday", "国庆节") for d in range(1, 8)],
    ("2026-09-27", "workday", "国庆节调休"),
    ("2026-10-10", "workday", "国庆节调休"),
    ("2027-01-01", "holiday", "元旦"),
    *[(f"2027-02-{d:02d}", "holiday", "春节") for d in range(5, 12)],
    ("2027-02-13", "workday", "春节调休"),
]

PILOT_AREAS = [code for code, _zh, _en, pilot in AREAS if pilot]

# (gap, cause, measure) found when pilot units were looked back at (回头看).
LOOKBACK_FINDINGS = [
    (
        "隐患整改后复查记录不全 / verification records incomplete",
        "台账制度未落实 / register rule not followed",
        "建立整改销号台账并每周核对 / keep a closure register, checked weekly",
    ),
    (
        "应急演练流于形式 / drills were a formality",
        "未制定演练评估标准 / no drill assessment criteria",
        "每季度实战演练并评估 / quarterly live drill with assessment",
    ),
    (
        "主要负责人带队检查次数不足 / head rarely led inspections",
        "责任清单未细化 / duty list too vague",
        "主要负责人每月带队检查一次 / head leads one inspection a month",
    ),
]
