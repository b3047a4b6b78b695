"""A seeded generator of texts like those Luoshi holds: Chinese government phrases, random Chinese
characters, English words, digits, punctuation, full-width forms and characters NFKC rewrites."""

from __future__ import annotations

import random
import unicodedata

PHRASES = [
    "督查督办",
    "回头看",
    "能耗双控",
    "三篇大文章",
    "销号",
    "序时进度",
    "河长制",
    "老旧小区改造",
    "加快推进城市更新",
    "营商环境",
    "民生实事",
    "碳达峰",
    "整改清单",
    "限期整改",
    "立行立改",
    "责任单位",
    "牵头单位",
    "佐证材料",
    "空气质量优良天数比例",
    "单位GDP能耗",
    "铁西区",
    "铁东区",
    "兴盛街道",
    "鞍政办发〔2024〕3号",
    "推进",
    "完成",
    "工作",
    "问题",
]
ENGLISH = [
    "report",
    "reporting",
    "progress",
    "supervision",
    "energy",
    "Energy",
    "PM2.5",
    "GDP",
    "district",
    "Tiexi",
    "the",
    "of",
    "a",
    "I",
    "look-back",
    "closed-loop",
    "rectification",
    "Q3",
    "2024",
]
# Characters NFKC rewrites: full-width letters, digits and punctuation, the ideographic space, circled
# numbers, a ligature, a roman numeral, a squared word, a fraction.
ODD = [
    "ＡＢＣ",
    "ｒｅｐｏｒｔ",
    "１２３",
    "，",
    "。",
    "；",
    "：",
    "（",
    "）",
    "\u3000",
    "①",
    "ﬁ",
    "Ⅻ",
    "㍿",
    "½",
]
PUNCTUATION = [",", ".", "、", "！", "?", "-", "/", "《", "》", "“", "”", "…", "\n", "  ", " "]
# Common characters, so that random ones also meet each other in bigrams now and then.
COMMON = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下"
    "过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都"
    "两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重"
    "新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想"
    "已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知"
    "较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研质"
)


def random_text(rng: random.Random) -> str:
    """One text of a few dozen characters."""
    parts: list[str] = []
    for _ in range(rng.randint(2, 9)):
        pick = rng.random()
        if pick < 0.35:
            parts.append(rng.choice(PHRASES))
        elif pick < 0.55:
            parts.append("".join(rng.choice(COMMON) for _ in range(rng.randint(1, 6))))
        elif pick < 0.6:
            parts.append(chr(rng.randint(0x4E00, 0x9FFF)))
        elif pick < 0.75:
            parts.append(rng.choice([" ", ""]) + rng.choice(ENGLISH) + " ")
        elif pick < 0.8:
            parts.append(str(rng.randint(0, 99999)))
        elif pick < 0.9:
            parts.append(rng.choice(PUNCTUATION))
        else:
            parts.append(rng.choice(ODD))
    return "".join(parts).strip() or "空"


def texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return [random_text(rng) for _ in range(count)]


def oracle_normalize(value: str) -> str:
    """The specification of normalization, written independently of ``luoshi.search.text``."""
    return " ".join(unicodedata.normalize("NFKC", value).lower().split())


def contains(fields: list[str], query: str) -> bool:
    """Brute force: does any field, normalized, contain the normalized query?"""
    needle = oracle_normalize(query)
    return any(needle in oracle_normalize(f) for f in fields)


def searchable(query: str) -> bool:
    """Whether a query is accepted: some letter, digit or Chinese character after normalization."""
    needle = oracle_normalize(query)
    return 0 < len(needle) <= 100 and any(c.isalnum() for c in needle)
