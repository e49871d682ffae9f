"""Normalizers from what real documents say to TrialRecord values.

Each ``normalize_*`` function is a pydantic BeforeValidator on a TrialRecord
field (see schemas/trial.py) and follows one rule:

- None, empty text and explicit "not stated" forms ("N/A", "None", "-",
  "Not provided", ...) -> None, or [] for list fields;
- a trivially normalisable form ("Phase II", "18 Years", "Male and Female",
  "Dec 20, 2025") -> the canonical value; canonical values and enum members
  pass through unchanged;
- anything else -> ValueError with a short message a small model can act on.
  Nothing is guessed: an ambiguous value ("03/04/2012", "Ongoing", "F") is an
  error, not a coin toss.

The module also finds and normalizes trial registry ids
(``find_registry_ids``, ``normalize_registry_id``).

Layout: shared helpers, then one section per field, each with its own small
synonym table; registry ids come last.
"""

from __future__ import annotations

import enum
import functools
import math
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import NamedTuple

import pycountry
from dateutil import parser as date_parser

from . import lexicon

# ---------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------

# Keys (see _key) of values that mean "the document does not say".
_NOT_STATED_KEYS = {
    "n a", "na", "n d", "nd", "none", "nil", "null", "nan",
    "not applicable", "not provided", "not stated", "not specified",
    "not available", "not reported", "not known", "unknown", "no entry",
    "none provided", "none specified", "none stated",
}
# Longer phrases that start like a "not stated" form, e.g. ISRCTN's
# "Not provided at time of registration".
_NOT_STATED_PREFIXES = ("not provided ", "not stated ", "not specified ", "not available ")
# Values with no letters or digits at all that still mean "nothing here".
_NOT_STATED_MARKS = {"-", "--", "---", "\u2013", "\u2014", "/", ".", "?"}

_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")


def _key(text: str) -> str:
    """Comparison key: lower-case ASCII words and numbers, single-spaced.

    "Active, not recruiting", "ACTIVE_NOT_RECRUITING" and "active (not
    recruiting)" all give "active not recruiting".
    """
    return " ".join(re.findall(r"[a-z0-9]+", text.casefold()))


def is_not_stated(text: str) -> bool:
    """A form that says nothing is stated: "N/A", "Not available", "none", "-"."""
    stripped = text.strip()
    if not stripped or stripped in _NOT_STATED_MARKS:
        return True
    key = _key(stripped)
    return key in _NOT_STATED_KEYS or key.startswith(_NOT_STATED_PREFIXES)


def _show(value) -> str:
    """A value quoted for an error message, cut so messages stay short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _as_text(value, field: str) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    if not isinstance(value, str):
        raise ValueError(f"{field} must be text, got {type(value).__name__} {_show(value)}")
    return value


def _choice_table(canonical: tuple[str, ...], synonyms: dict[str, str]) -> dict[str, str]:
    """Key -> canonical value, for the canonical values and their synonyms."""
    table = {_key(value): value for value in canonical}
    for synonym, value in synonyms.items():
        assert value in canonical, (synonym, value)  # guards the tables below
        table[_key(synonym)] = value
    return table


def _lookup(table: dict[str, str], text: str) -> str | None:
    """Table value for text, retried without bracketed asides.

    "Double (Participant, Investigator)" -> "double" and "Observational
    [Patient Registry]" -> "observational" on the second try.
    """
    key = _key(text)
    if key in table:
        return table[key]
    bare_key = _key(_BRACKETED.sub(" ", text))
    return table.get(bare_key) if bare_key else None


def _normalize_choice(
    value, field: str, canonical: tuple[str, ...], table: dict[str, str],
    hints: dict[str, str] | None = None,
):
    """Shared body of the single-choice enum normalizers.

    hints: key -> extra advice for a known near-miss ("Ongoing").
    """
    if value is None:
        return None
    if isinstance(value, enum.Enum) and value.value in canonical:
        return value
    text = _as_text(value, field)
    found = _lookup(table, text)
    if found is not None:
        return found
    if is_not_stated(text):
        return None
    message = f"{field} {_show(text)} is not one of {', '.join(canonical)}"
    hint = (hints or {}).get(_key(text))
    raise ValueError(f"{message}; {hint}" if hint else message)


# ---------------------------------------------------------------------------
# Registry names
# ---------------------------------------------------------------------------

REGISTRIES = (
    "NCT", "UMIN", "JRCT", "CHICTR", "ISRCTN", "EUDRACT", "CTIS", "CTRI", "ACTRN",
    "DRKS", "IRCT", "KCT", "NTR", "PACTR", "TCTR", "ITMCTR", "OTHER",
)
_REGISTRY_NAMES = _choice_table(REGISTRIES, {
    "ClinicalTrials.gov": "NCT", "CT.gov": "NCT", "CTGOV": "NCT", "CTGOV2": "NCT",
    "NCT number": "NCT", "ClinicalTrials.gov Identifier": "NCT",
    "UMIN-CTR": "UMIN", "UMIN CTR": "UMIN", "UMIN ID": "UMIN",
    "Japan Registry of Clinical Trials": "JRCT",
    "Chinese Clinical Trial Registry": "CHICTR", "ChiCTR registry": "CHICTR",
    "ISRCTN registry": "ISRCTN", "ISRCTN number": "ISRCTN", "isrctn.com": "ISRCTN",
    "EUCTR": "EUDRACT", "EU CTR": "EUDRACT", "EudraCT number": "EUDRACT",
    "EU Clinical Trials Register": "EUDRACT", "clinicaltrialsregister.eu": "EUDRACT",
    "EU CT": "CTIS", "EU CT number": "CTIS", "Clinical Trials Information System": "CTIS",
    "euclinicaltrials.eu": "CTIS",
    "Clinical Trials Registry - India": "CTRI", "Clinical Trials Registry India": "CTRI",
    "ANZCTR": "ACTRN", "Australian New Zealand Clinical Trials Registry": "ACTRN",
    "German Clinical Trials Register": "DRKS", "Deutsches Register Klinischer Studien": "DRKS",
    "Iranian Registry of Clinical Trials": "IRCT",
    "CRIS": "KCT", "Clinical Research Information Service": "KCT",
    "Netherlands Trial Register": "NTR", "Nederlands Trial Register": "NTR",
    "Pan African Clinical Trials Registry": "PACTR", "Pan African Clinical Trial Registry": "PACTR",
    "Thai Clinical Trials Registry": "TCTR",
    "International Traditional Medicine Clinical Trial Registry": "ITMCTR",
})


def is_registry_name(text: str) -> bool:
    """"ISRCTN", "ClinicalTrials.gov", "UMIN-CTR": the name of a registry (not "Other")."""
    return _lookup(_REGISTRY_NAMES, text) not in (None, "OTHER")


def normalize_registry_name(value):
    """Registry alias -> canonical short name; an unknown registry -> "OTHER"."""
    if value is None:
        return None
    text = _as_text(value, "registry")
    found = _lookup(_REGISTRY_NAMES, text)
    if found is not None:
        return found
    if is_not_stated(text):
        return None
    return "OTHER"


# ---------------------------------------------------------------------------
# Dates (partial: "2012", "2012-10" or "2012-10-26"; never invent a part)
# ---------------------------------------------------------------------------

_MIN_YEAR, _MAX_YEAR = 1900, 2100
# 2012, 2012-10, 2012-10-26, 2026/01/15, 2026/01/15 16:32:40, 2022-08-08T00:00:00+02:00
_YEAR_FIRST = re.compile(
    r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?)?",
    re.ASCII,
)
# Where a date is written in running text: the one detector that rules (reading labelled dates)
# and grounding (checking a date is stated) share. Month names in English; numeric day/month
# order is resolved by the reader (group "first" / "second"). Forms: "2023 Year 10 Month 26 Day",
# "2025年10月10日", "2025-10-10", "Dec 20, 2025", "15 October 2025", "10-Oct-2025", "September 2015",
# "19/08/2021", "19-08-2021", "2019". A run of digits and hyphens that goes on ("2015-001894-41", an EudraCT
# number) is an id, not a date.
MONTH_NAME = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
# Other languages (schemas/lexicon.py): month names from the CLDR ("10 de octubre de 2025",
# "10. Oktober 2025", "1er mars 2024", "outubro de 2023") and Korean "2025년 10월 10일", "2025. 10. 10.".
FOREIGN_MONTH_NAME = rf"(?:{lexicon.month_name_pattern()})"
_FOREIGN_DATE = (rf"(?:\d{{1,2}}(?:\.|er|\u00ba)?[ \t]+(?:de[ \t]+)?)?{FOREIGN_MONTH_NAME}\.?,?[ \t]+"
                 r"(?:de[ \t]+|del[ \t]+)?\d{4}")
DATE_IN_TEXT = re.compile(
    r"(?<![\d-])(?:\d{4}[ \t]*(?:year|年|\ub144)[ \t]*\d{1,2}[ \t]*(?:month|月|\uc6d4)(?:[ \t]*\d{1,2}[ \t]*(?:day|日|\uc77c))?"
    r"|\d{4}\.[ \t]+\d{1,2}\.[ \t]+\d{1,2}\."
    rf"|{_FOREIGN_DATE}"
    r"|\d{4}[-/.]\d{1,2}(?:[-/.]\d{1,2})?"
    rf"|{MONTH_NAME}[ \t]+\d{{1,2}}(?:st|nd|rd|th)?,?[ \t]+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?(?:[ \t]+|-){MONTH_NAME},?(?:[ \t]+|-)\d{{4}}"
    rf"|{MONTH_NAME},?(?:[ \t]+|-)\d{{4}}"
    r"|(?P<first>\d{1,2})([/.-])(?P<second>\d{1,2})\2(?P<year>\d{4})"
    r"|(?:19|20)\d{2})"
    r"(?![^\W_]|[-/.]\d)",
    re.IGNORECASE,
)


# UMIN "2023 Year 10 Month 26 Day"; Chinese/Japanese "2020年5月8日"; Korean "2020년 5월 8일"
_YEAR_MONTH_DAY_WORDS = re.compile(
    r"(\d{4})\s*(?:year|年|\ub144)\s*(\d{1,2})\s*(?:month|月|\uc6d4)(?:\s*(\d{1,2})\s*(?:day|日|\uc77c))?",
    re.ASCII | re.IGNORECASE,
)
_YEAR_MONTH_DAY_DOTS = re.compile(r"(\d{4})\.\s+(\d{1,2})\.\s+(\d{1,2})\.?", re.ASCII)  # Korean "2020. 5. 8."
_FOREIGN_MONTH_DATE = re.compile(
    rf"(?:(\d{{1,2}})(?:\.|er|\u00ba)?\s+(?:de\s+)?)?({FOREIGN_MONTH_NAME})\.?,?\s+(?:de\s+|del\s+)?(\d{{4}})",
    re.IGNORECASE)
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", re.ASCII)  # 26/09/2012
_MONTH_YEAR = re.compile(r"(\d{1,2})[-/.](\d{4})", re.ASCII)  # 09/2012


def _partial_date(year: int, month: int | None = None, day: int | None = None) -> str:
    """ISO text for a (possibly partial) date, after checking it exists."""
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise ValueError(f"date year {year} is outside {_MIN_YEAR}-{_MAX_YEAR}")
    if month is None:
        return f"{year:04d}"
    if day is None:
        if not 1 <= month <= 12:
            raise ValueError(f"date month {month} is not 1-12")
        return f"{year:04d}-{month:02d}"
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        raise ValueError(f"{year:04d}-{month:02d}-{day:02d} is not a real date") from None


def _optional_int(text: str | None) -> int | None:
    return int(text) if text else None


def _parse_with_month_name(text: str) -> str:
    """'Dec 20, 2025', '15 October 2025', 'October 2012' via dateutil.

    dateutil fills missing parts from its `default`; parsing twice with two
    different defaults shows which parts the text really stated.
    """
    parsed = []
    for default in (datetime(1904, 1, 1), datetime(1908, 2, 2)):
        try:
            parsed.append(date_parser.parse(text, default=default))
        except (ValueError, OverflowError, TypeError):
            raise ValueError(
                f"date {_show(text)} is not a date; write YYYY-MM-DD, YYYY-MM or YYYY"
            ) from None
    first, second = parsed
    # A year must be written in full: dateutil turns "Oct 16, 12" into 2012.
    if first.year != second.year or str(first.year) not in text:
        raise ValueError(f"date {_show(text)} has no four-digit year")
    if first.month != second.month:
        raise ValueError(f"date {_show(text)} has a day but no month")
    day = first.day if first.day == second.day else None
    return _partial_date(first.year, first.month, day)


def normalize_partial_date(value):
    """Date text -> "YYYY", "YYYY-MM" or "YYYY-MM-DD", keeping the stated precision."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        return _partial_date(value)  # a bare year
    text = _as_text(value, "date").strip()
    if is_not_stated(text):
        return None

    if m := _YEAR_FIRST.fullmatch(text):
        return _partial_date(int(m[1]), _optional_int(m[2]), _optional_int(m[3]))
    if m := _YEAR_MONTH_DAY_WORDS.fullmatch(text):
        return _partial_date(int(m[1]), int(m[2]), _optional_int(m[3]))
    if m := _DAY_MONTH_YEAR.fullmatch(text):
        first, second, year = int(m[1]), int(m[2]), int(m[3])
        if first == second or (first > 12 >= second):
            return _partial_date(year, second, first)  # day first: 26/09/2012
        if second > 12 >= first:
            return _partial_date(year, first, second)  # month first: 09/26/2012
        raise ValueError(
            f"date {_show(text)} is ambiguous (day/month or month/day); write YYYY-MM-DD"
        )
    if m := _MONTH_YEAR.fullmatch(text):
        return _partial_date(int(m[2]), int(m[1]))
    if m := _YEAR_MONTH_DAY_DOTS.fullmatch(text):
        return _partial_date(int(m[1]), int(m[2]), int(m[3]))
    if m := _FOREIGN_MONTH_DATE.fullmatch(text):
        return _partial_date(int(m[3]), lexicon.month_numbers()[m[2].lower()], _optional_int(m[1]))
    # Only text with a month name goes to dateutil: its guesses on
    # all-number forms ("03/04/12") are exactly what we refuse to make.
    if re.search(r"[A-Za-z]{3}", text) and len(text) <= 40:
        return _parse_with_month_name(text)
    raise ValueError(f"date {_show(text)} is not a date; write YYYY-MM-DD, YYYY-MM or YYYY")


# ---------------------------------------------------------------------------
# Ages (in years)
# ---------------------------------------------------------------------------

_MAX_AGE_YEARS = 150
_YEARS_PER_UNIT = {
    "year": 1.0, "month": 1 / 12, "week": 7 / 365.25, "day": 1 / 365.25,
    "hour": 1 / (365.25 * 24), "minute": 1 / (365.25 * 24 * 60),
}
_AGE_UNITS = {
    "y": "year", "yr": "year", "yrs": "year", "year": "year", "years": "year",
    "mo": "month", "mos": "month", "month": "month", "months": "month",
    "wk": "week", "wks": "week", "week": "week", "weeks": "week",
    "d": "day", "day": "day", "days": "day",
    "h": "hour", "hr": "hour", "hrs": "hour", "hour": "hour", "hours": "hour",
    "min": "minute", "mins": "minute", "minute": "minute", "minutes": "minute",
}
# One number, an optional unit, and the decorations registries put around a
# limit: "18 Years", "18 years-old <=" (UMIN), "18+ yrs", "Over 18 Years",
# "≥ 18 years", "18 years and older".
_AGE = re.compile(
    r"(?:(?:>=|=>|≥|>|<=|=<|≤|<|over|under|above|below|at least|at most|up to|aged?|from)\s*)?"
    r"(?P<number>\d+(?:\.\d+)?)\s*\+?\s*(?P<unit>[a-z]+)?\.?"
    r"(?:\s*(?:-?\s*olds?|of age|\+|>=|=>|≥|<=|=<|≤"
    r"|(?:or|and) (?:older|over|above|up|more|younger|under|less)))*",
    re.ASCII | re.IGNORECASE,
)


def normalize_age_years(value):
    """Age limit text or number -> years as a float ("6 Months" -> 0.5)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("age must be a number of years or text like '18 Years', not a boolean")
    if isinstance(value, (int, float)):
        try:
            years = float(value)
        except OverflowError:
            raise ValueError(f"age {_show(value)} is not a plausible age") from None
        return _checked_age(years, value)
    text = _as_text(value, "age").strip()
    if is_not_stated(text) or _key(text) in ("no limit", "no age limit"):
        return None
    m = _AGE.fullmatch(" ".join(text.split())) if len(text) <= 60 else None
    if not m:
        raise ValueError(
            f"age {_show(text)} is not one age limit; write e.g. '18 Years' or '6 Months'"
        )
    unit = (m["unit"] or "years").lower()
    if unit not in _AGE_UNITS:
        raise ValueError(f"age unit {unit!r} in {_show(text)} is not years, months, weeks or days")
    return _checked_age(float(m["number"]) * _YEARS_PER_UNIT[_AGE_UNITS[unit]], value)


def _checked_age(years: float, original) -> float:
    if not math.isfinite(years) or not 0 <= years <= _MAX_AGE_YEARS:
        raise ValueError(f"age {_show(original)} is not between 0 and {_MAX_AGE_YEARS} years")
    return years


# ---------------------------------------------------------------------------
# Countries (ISO 3166-1 alpha-2 via pycountry)
# ---------------------------------------------------------------------------

# Names that pycountry's lookup (alpha-2/-3, name, official and common name) and the CLDR
# names below do not know.
_COUNTRY_ALIAS_NAMES = {
    "USA": "US", "U.S.": "US", "U.S.A.": "US", "United States of America": "US",
    "UK": "GB", "U.K.": "GB", "Great Britain": "GB", "Britain": "GB",
    "England": "GB", "Scotland": "GB", "Wales": "GB", "Northern Ireland": "GB",
    "South Korea": "KR", "Republic of Korea": "KR", "Korea, South": "KR",
    "North Korea": "KP",
    "Russia": "RU", "Iran": "IR", "Taiwan": "TW", "Syria": "SY", "Laos": "LA",
    "Vietnam": "VN", "Viet Nam": "VN", "Bolivia": "BO", "Venezuela": "VE",
    "Moldova": "MD", "Tanzania": "TZ", "Turkey": "TR", "Turkiye": "TR",
    "Czech Republic": "CZ", "Slovak Republic": "SK", "Macedonia": "MK",
    "Holland": "NL", "The Netherlands": "NL", "Ivory Coast": "CI",
    "Cote d'Ivoire": "CI", "Cape Verde": "CV", "Swaziland": "SZ", "Burma": "MM",
    "Brunei": "BN", "Palestine": "PS", "Macau": "MO", "Micronesia": "FM",
    "Democratic Republic of the Congo": "CD", "DR Congo": "CD", "DRC": "CD",
    "Republic of the Congo": "CG", "Vatican": "VA", "Hong Kong SAR": "HK",
}
_COUNTRY_ALIASES = {_key(name): code for name, code in _COUNTRY_ALIAS_NAMES.items()}
# A page that says "Korea" mentions the Republic of Korea as the place of a trial; as a value
# the name is refused, since it names both Koreas.
_MENTION_ONLY_NAMES = {"Korea": "KR"}


# Country names as registries and pages in other languages write them ("中国", "Deutschland",
# "España", "대한민국", "러시아"): pycountry's translations of ISO 3166's names, and the Unicode
# CLDR's names through babel (the short names people write: ISO's "Russian Federation" is
# "Russia" there, in every language), for the languages of the registries and pages trialsift
# reads. A name two countries share in a language is left out.
COUNTRY_NAME_LANGUAGES = ("zh_CN", "zh_TW", "zh_HK", "ja", "ko", "fr", "de", "es", "it", "pt", "pt_BR",
                          "nl", "ru", "fa", "ar", "tr", "pl", "th", "vi", "id", "ca", "cs", "sv", "da")


def _names_by_language() -> Iterator[tuple[str, str]]:
    """(name, alpha-2 code) for every translated or CLDR name of every country."""
    import gettext

    from babel import Locale, UnknownLocaleError

    for language in ("en",) + COUNTRY_NAME_LANGUAGES:
        try:
            territories = Locale.parse(language).territories
        except (UnknownLocaleError, ValueError):
            territories = {}
        for code, name in territories.items():
            if len(code) == 2 and code.isalpha() and pycountry.countries.get(alpha_2=code):
                yield name, code
        if language == "en":
            continue
        try:
            translation = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        except OSError:
            continue
        for country in pycountry.countries:
            for attribute in ("name", "official_name", "common_name"):
                english = getattr(country, attribute, None)
                local = translation.gettext(english) if english else None
                if local and local != english:
                    yield local, country.alpha_2


@functools.lru_cache(maxsize=1)
def _translated_country_names() -> dict[str, tuple[str, str]]:
    """casefolded name -> (alpha-2 code, the name as written)."""
    found: dict[str, set[str]] = {}
    written: dict[str, str] = {}
    for name, code in _names_by_language():
        if len(name) >= 2:
            found.setdefault(name.casefold(), set()).add(code)
            written.setdefault(name.casefold(), name)
    return {key: (codes.pop(), written[key]) for key, codes in found.items() if len(codes) == 1}


@functools.lru_cache(maxsize=None)
def country_names(code: str) -> tuple[str, ...]:
    """Every name of one country trialsift reads (ISO's, the aliases, the translated and CLDR
    names), longest first: what a page may call it."""
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return (code,)
    names = {getattr(country, attribute) for attribute in ("name", "official_name", "common_name")
             if getattr(country, attribute, None)}
    names.update(name for name, alias_code in {**_COUNTRY_ALIAS_NAMES, **_MENTION_ONLY_NAMES}.items()
                 if alias_code == code)
    names.update(name for alias_code, name in _translated_country_names().values() if alias_code == code)
    return tuple(sorted(names, key=len, reverse=True))


def normalize_country(value):
    """Country name or code -> ISO 3166-1 alpha-2 ("United States" -> "US")."""
    if value is None:
        return None
    text = _as_text(value, "country").strip()
    # Upper-case alpha-2 codes pass first, so Namibia's "NA" is not "not stated".
    if re.fullmatch(r"[A-Z]{2}", text) and pycountry.countries.get(alpha_2=text):
        return text
    if is_not_stated(text):
        return None
    translated = _translated_country_names().get(text.casefold())
    alias = _COUNTRY_ALIASES.get(_key(text)) or (translated[0] if translated else None)
    if alias:
        return alias
    if not re.search(r"\d", text):  # numeric ISO codes ("756") are too easily garbage
        name = re.sub(r"(?i)^the\s+", "", text)
        # The UN and WHO write ISO's "Iran, Islamic Republic of" as "Iran (Islamic Republic of)".
        qualified = re.fullmatch(r"([^()]+?)\s*\(([^()]+)\)", name)
        for candidate in [name] + ([f"{qualified[1]}, {qualified[2]}"] if qualified else []):
            try:
                return pycountry.countries.lookup(candidate).alpha_2
            except LookupError:
                pass
    raise ValueError(f"country {_show(text)} is not a country name or ISO 3166 code")


# ---------------------------------------------------------------------------
# Design enums: study type, allocation, masking, intervention model
# ---------------------------------------------------------------------------

STUDY_TYPES = ("INTERVENTIONAL", "OBSERVATIONAL", "EXPANDED_ACCESS")
_STUDY_TYPES = _choice_table(STUDY_TYPES, {
    "Interventional study": "INTERVENTIONAL", "Interventional trial": "INTERVENTIONAL",
    "Observational study": "OBSERVATIONAL",
})


def normalize_study_type(value):
    """'Interventional (Clinical Trial)', 'Observational [Patient Registry]' -> enum value."""
    return _normalize_choice(value, "study type", STUDY_TYPES, _STUDY_TYPES)


ALLOCATIONS = ("RANDOMIZED", "NON_RANDOMIZED", "NA")
_ALLOCATIONS = _choice_table(ALLOCATIONS, {
    "Randomised": "RANDOMIZED", "Randomized controlled": "RANDOMIZED",
    "Non-Randomised": "NON_RANDOMIZED", "Nonrandomized": "NON_RANDOMIZED",
    "Nonrandomised": "NON_RANDOMIZED", "Not randomized": "NON_RANDOMIZED",
    "Not randomised": "NON_RANDOMIZED",
    # CT.gov shows "N/A" for single-group studies; it is a value, not a gap.
    "N/A": "NA", "Not Applicable": "NA",
})


def normalize_allocation(value):
    """'Randomized', 'Non-Randomized', 'N/A' -> enum value."""
    return _normalize_choice(value, "allocation", ALLOCATIONS, _ALLOCATIONS)


MASKINGS = ("NONE", "SINGLE", "DOUBLE", "TRIPLE", "QUADRUPLE")
_MASKINGS = _choice_table(MASKINGS, {
    # CT.gov's "None (Open Label)": in this field "None" is a value.
    "Open label": "NONE", "Open": "NONE", "No masking": "NONE", "Unblinded": "NONE",
    "Not blinded": "NONE", "Open -no one is blinded": "NONE",  # UMIN
    "Single blind": "SINGLE", "Single blinded": "SINGLE", "Single masked": "SINGLE",
    "Double blind": "DOUBLE", "Double blinded": "DOUBLE", "Double masked": "DOUBLE",
    "Double blind -all involved are blinded": "DOUBLE",  # UMIN
    "Triple blind": "TRIPLE", "Triple blinded": "TRIPLE",
    "Quadruple blind": "QUADRUPLE", "Quadruple blinded": "QUADRUPLE",
})


def normalize_masking(value):
    """'None (Open Label)', 'Double (Participant, Investigator)', 'Single blind' -> enum value."""
    return _normalize_choice(value, "masking", MASKINGS, _MASKINGS)


INTERVENTION_MODELS = ("SINGLE_GROUP", "PARALLEL", "CROSSOVER", "FACTORIAL", "SEQUENTIAL")
_INTERVENTION_MODELS = _choice_table(INTERVENTION_MODELS, {
    "Single Group Assignment": "SINGLE_GROUP", "Single arm": "SINGLE_GROUP",
    "Parallel Assignment": "PARALLEL", "Parallel group": "PARALLEL",
    "Crossover Assignment": "CROSSOVER", "Cross-over": "CROSSOVER",
    "Factorial Assignment": "FACTORIAL",
    "Sequential Assignment": "SEQUENTIAL",
})


def normalize_intervention_model(value):
    """'Parallel Assignment', 'Single arm', 'Cross-over' -> enum value."""
    return _normalize_choice(value, "intervention model", INTERVENTION_MODELS, _INTERVENTION_MODELS)


# ---------------------------------------------------------------------------
# Phases (a list: "Phase 2/3" is two phases)
# ---------------------------------------------------------------------------

PHASES = ("EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4", "NA")
_PHASE_WORDS = _choice_table(PHASES, {
    "N/A": "NA", "Not Applicable": "NA", "Phase N/A": "NA", "Phase NA": "NA",
    "Early Phase 1": "EARLY_PHASE1", "Early Phase I": "EARLY_PHASE1",
    # EU CTR trial categories E.7.1-E.7.4 are phases I-IV.
    "Human pharmacology": "PHASE1", "Therapeutic exploratory": "PHASE2",
    "Therapeutic confirmatory": "PHASE3", "Therapeutic use": "PHASE4",
})
# One phase number, arabic or roman, with an optional sub-phase letter (1b, IIa).
_PHASE_NUMBER = {"0": "EARLY_PHASE1",  # CT.gov: Early Phase 1 was formerly "Phase 0"
                 "1": "PHASE1", "i": "PHASE1", "2": "PHASE2", "ii": "PHASE2",
                 "3": "PHASE3", "iii": "PHASE3", "4": "PHASE4", "iv": "PHASE4"}
_PHASE_RANGE = re.compile(  # matched against _key() text: "phase 2 3", "phase 1 phase 2"
    r"(?:phase ?)?(?P<first>[0-4]|iv|i{1,3})[abc]?"
    r"(?: (?:and |to )?(?:phase ?)?(?P<second>[0-4]|iv|i{1,3})[abc]?)?"
)


# Phases as other languages write them: "fase III" (es, it, pt, ca), "Phase II" (de, fr), "fáze",
# "faza", and the CJK counters "III期临床" / "第3相" / "3상" (Chinese, Japanese, Korean; in running
# text a Chinese 期 states a phase only before 临床/试验/研究, since "III期肺癌" is a cancer stage), with
# their numerals; rewritten to the English form before reading.
_PHASE_WORD_ELSEWHERE = re.compile(rf"(?<!\w)(?:{lexicon.PHASE_WORDS})(?!\w)", re.I)
# "II fazy", "2. Faz": the numeral before the word -> "phase II". These two patterns are also the
# statement detector's (pipeline/statements.py), so what it finds is what this reads.
NUMERAL_BEFORE_PHASE_WORD = rf"([1-4]|iv|i{{1,3}})\.?\s*(?:{lexicon.PHASE_WORDS_AFTER_NUMERAL})(?!\w)"
_NUMERAL_BEFORE_PHASE_WORD = re.compile(rf"(?<!\w){NUMERAL_BEFORE_PHASE_WORD}", re.I)
# A phase's numeral in CJK text: a digit, 一二三四, the Roman-numeral characters Ⅰ-Ⅳ or Latin letters.
_CJK_PHASE_NUMERAL = r"[0-4\u4e00\u4e8c\u4e09\u56db\u2160-\u2163]|iv|i{1,3}"
_CJK_PHASE_NUMERALS = (  # numerals longest first; the counter after them (期 相 상) ends the numeral
    rf"\u7b2c?\s*({_CJK_PHASE_NUMERAL})([abc]?)"
    rf"(?:\s*[/\u3001~\uff0f-]\s*({_CJK_PHASE_NUMERAL})([abc]?))?\s*")
# The detector's form: 期 states a phase before 临床/试验/研究, or before "and" and another phase's
# numeral and 期 ("Ⅱ期和Ⅲ期临床试验").
CJK_PHASE = (
    _CJK_PHASE_NUMERALS +
    r"(?:\u671f(?=\s*(?:\u4e34\u5e8a|\u81e8\u5e8a|\u8bd5\u9a8c|\u8a66\u9a13|\u8a66\u9a57|\u7814\u7a76"
    rf"|(?:\u548c|\u53ca|\u4e0e|\u8207|\u3001)\s*\u7b2c?\s*(?:{_CJK_PHASE_NUMERAL})[abc]?\s*\u671f))"
    r"|\u76f8|\uc0c1)")
# Reading a value already given as a phase (a model's answer, or the detector's span without the
# words after it), 期 needs no context: "Ⅲ期" is phase 3.
_CJK_PHASE_VALUE = re.compile(_CJK_PHASE_NUMERALS + r"(?:\u671f|\u76f8|\uc0c1)", re.I)
_CJK_NUMERALS = {"\u4e00": "1", "\u4e8c": "2", "\u4e09": "3", "\u56db": "4",
                 "\u2160": "1", "\u2161": "2", "\u2162": "3", "\u2163": "4"}


def _phase_in_english(text: str) -> str:
    def cjk(m: re.Match) -> str:
        first = _CJK_NUMERALS.get(m[1], m[1]) + m[2]
        second = f"/{_CJK_NUMERALS.get(m[3], m[3])}{m[4]}" if m[3] else ""
        return f" phase {first}{second} "
    text = _NUMERAL_BEFORE_PHASE_WORD.sub(r"phase \1", _CJK_PHASE_VALUE.sub(cjk, text))
    return _PHASE_WORD_ELSEWHERE.sub("phase", text).strip()


def _phases_in(text: str) -> list[str] | None:
    """Phases one string states, or None when it is not a phase."""
    text = _phase_in_english(text)
    word = _lookup(_PHASE_WORDS, text)
    if word is not None:
        return [word]
    # "Phase 3 (confirmatory)", or "Therapeutic exploratory (Phase II)" where
    # the aside carries the phase.
    for candidate in (text, _BRACKETED.sub(" ", text), *_BRACKETED.findall(text)):
        m = _PHASE_RANGE.fullmatch(_key(candidate))
        if m:
            return [_PHASE_NUMBER[n] for n in (m["first"], m["second"]) if n]
    return None


def normalize_phases(value):
    """Phase text or list -> de-duplicated phase values in phase order."""
    if value is None:
        return []
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    found: set[str] = set()
    for item in items:
        if item is None:
            continue
        text = _as_text(item, "phase")
        phases = _phases_in(text)
        if phases is None:
            if is_not_stated(text):
                continue
            raise ValueError(
                f"phase {_show(text)} is not one of {', '.join(PHASES)} "
                "(write e.g. 'Phase 2' or 'Phase 2/3')"
            )
        found.update(phases)
    return [phase for phase in PHASES if phase in found]


# ---------------------------------------------------------------------------
# Eligibility: sex, healthy volunteers (bool)
# ---------------------------------------------------------------------------

SEXES = ("ALL", "FEMALE", "MALE")
_SEX_WORDS = {
    "all": "ALL", "both": "ALL", "both sexes": "ALL", "all sexes": "ALL", "any": "ALL",
    "all genders": "ALL", "both genders": "ALL", "either sex": "ALL", "either gender": "ALL",
    "any sex": "ALL", "any gender": "ALL",
    "male": "MALE", "males": "MALE", "man": "MALE", "men": "MALE", "boys": "MALE",
    "female": "FEMALE", "females": "FEMALE", "woman": "FEMALE", "women": "FEMALE",
    "girls": "FEMALE",
}


def normalize_sex(value):
    """'Male and Female', 'All', 'Female, Male', 'women' -> ALL / MALE / FEMALE.

    Single letters ("F", "M") are refused: in free text they are too often
    something else.
    """
    if value is None:
        return None
    if isinstance(value, enum.Enum) and value.value in SEXES:
        return value
    text = _as_text(value, "sex")
    if is_not_stated(text):
        return None
    # "Male and Female", "Female, Male", "men and women", "male/female"
    parts = re.split(r",|/|&|\+|\band\b|\bor\b", text.casefold())
    sexes = {_SEX_WORDS.get(_key(part)) for part in parts if _key(part)}
    if sexes and None not in sexes:
        if "ALL" in sexes or sexes == {"MALE", "FEMALE"}:
            return "ALL"
        if len(sexes) == 1:
            return sexes.pop()
    if len(_key(text)) == 1:
        raise ValueError(f"sex {_show(text)} is a single letter; write FEMALE, MALE or ALL")
    raise ValueError(f"sex {_show(text)} is not one of ALL, FEMALE, MALE")


_BOOLEANS = {
    "yes": True, "y": True, "true": True, "t": True, "1": True,
    "accepts healthy volunteers": True, "healthy volunteers accepted": True, "accepting healthy volunteers": True,
    "no": False, "n": False, "false": False, "f": False, "0": False,
    "no healthy volunteers": False, "does not accept healthy volunteers": False,
    "healthy volunteers not accepted": False,
}


def normalize_bool(value):
    """'Yes'/'No', 't'/'f', 'true'/'false', 'Accepts Healthy Volunteers' -> bool."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = _as_text(value, "yes/no value")
    key = _key(text)
    if key in _BOOLEANS:
        return _BOOLEANS[key]
    if is_not_stated(text):
        return None
    raise ValueError(f"yes/no value {_show(text)} is not Yes or No")


# ---------------------------------------------------------------------------
# Recruitment status and IPD sharing
# ---------------------------------------------------------------------------

RECRUITMENT_STATUSES = (
    "NOT_YET_RECRUITING", "RECRUITING", "ENROLLING_BY_INVITATION", "ACTIVE_NOT_RECRUITING",
    "SUSPENDED", "TERMINATED", "COMPLETED", "WITHDRAWN", "UNKNOWN",
)
_RECRUITMENT_STATUSES = _choice_table(RECRUITMENT_STATUSES, {
    "Unknown status": "UNKNOWN", "Unknown": "UNKNOWN",
    "Open public recruiting": "RECRUITING",  # UMIN
    "Preinitiation": "NOT_YET_RECRUITING",  # UMIN
    "Authorised, not started": "NOT_YET_RECRUITING",  # CTIS
    "No longer recruiting": "ACTIVE_NOT_RECRUITING",  # UMIN, ISRCTN
    "Main results already published": "COMPLETED",  # UMIN
    "Complete": "COMPLETED",
    "Prematurely ended": "TERMINATED",  # EU CTR
    "Temporarily halted": "SUSPENDED",  # EU CTR
    "Stopped": "TERMINATED",  # ISRCTN overall status for a trial stopped early
    "Stopped early": "TERMINATED",  # ANZCTR
    "Closed: follow-up complete": "COMPLETED",  # ANZCTR
    "Closed: follow-up continuing": "ACTIVE_NOT_RECRUITING",  # ANZCTR
    "Open to recruitment": "RECRUITING",  # CTRI
    "Closed to recruitment of participants": "ACTIVE_NOT_RECRUITING",  # CTRI
    "Not recruiting yet": "NOT_YET_RECRUITING",  # ChiCTR
    "Suspending": "SUSPENDED",  # ChiCTR
    "Recruiting ongoing": "RECRUITING",  # DRKS
    "Recruiting planned": "NOT_YET_RECRUITING",  # DRKS
    "Recruiting complete, study complete": "COMPLETED",  # DRKS
    "Recruiting complete, study continuing": "ACTIVE_NOT_RECRUITING",  # DRKS
    "Recruiting stopped after recruiting started": "TERMINATED",  # DRKS
    "Recruiting withdrawn before recruiting started": "WITHDRAWN",  # DRKS
    "Recruiting suspended on temporary hold": "SUSPENDED",  # DRKS
})


# EU CTR's "Ongoing" (and ISRCTN's overall status "Ongoing") are deliberately
# not mapped: they do not say whether the trial is still recruiting.
_RECRUITMENT_HINTS = {
    "ongoing": "'Ongoing' does not say whether it still recruits: "
    "use RECRUITING or ACTIVE_NOT_RECRUITING if the document says which",
}


def normalize_recruitment_status(value):
    """CT.gov, UMIN, EU CTR, ISRCTN and ChiCTR status text -> enum value."""
    return _normalize_choice(
        value, "recruitment status", RECRUITMENT_STATUSES, _RECRUITMENT_STATUSES,
        _RECRUITMENT_HINTS,
    )


IPD_SHARING = ("YES", "NO", "UNDECIDED")
_IPD_SHARING = _choice_table(IPD_SHARING, {"Y": "YES", "N": "NO"})


def normalize_ipd_sharing(value):
    """'Yes' / 'No' / 'Undecided' -> enum value."""
    return _normalize_choice(value, "IPD sharing", IPD_SHARING, _IPD_SHARING)


# ---------------------------------------------------------------------------
# Enrollment and free-text lists
# ---------------------------------------------------------------------------

_MAX_ENROLLMENT = 100_000_000
# "23", "N=91", "1,200", "10,000 patients", "317 participants", "84 (actual)"
_ENROLLMENT = re.compile(
    r"(?:n\s*=\s*)?(?P<number>\d{1,3}(?:[,\u00a0\u202f ]\d{3})+|\d+)"
    r"\s*(?:participants?|patients?|subjects?|people|persons?|individuals?|volunteers?"
    r"|children|infants|adults|women|men|cases)?"
    r"\s*(?:\((?:actual|anticipated|estimated)\))?",
    re.ASCII | re.IGNORECASE,
)


def normalize_enrollment(value):
    """Enrollment text or number -> non-negative int ("N=91" -> 91, "1,200" -> 1200)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("enrollment must be a number of participants, not a boolean")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"enrollment {_show(value)} is not a whole number")
        value = int(value)
    if isinstance(value, int):
        count = value
    else:
        text = _as_text(value, "enrollment").strip()
        if is_not_stated(text):
            return None
        m = _ENROLLMENT.fullmatch(text)
        if not m:
            raise ValueError(
                f"enrollment {_show(text)} is not one count; write a whole number like 120"
            )
        count = int(re.sub(r"\D", "", m["number"]))
    if not 0 <= count <= _MAX_ENROLLMENT:
        raise ValueError(f"enrollment {_show(value)} is not between 0 and {_MAX_ENROLLMENT}")
    return count


def normalize_text_list(value):
    """Text or list of texts -> stripped, non-empty, de-duplicated list (order kept).

    "Not stated" items ("N/A", "None", "(none)") are dropped; duplicates are
    compared case- and spacing-insensitively and the first spelling is kept.
    """
    if value is None:
        return []
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    kept: list[str] = []
    seen: set[str] = set()
    for item in items:
        if item is None:
            continue
        if not isinstance(item, str):
            raise ValueError(f"list items must be text, got {type(item).__name__} {_show(item)}")
        text = item.strip()
        if is_not_stated(text):  # also "(none)": its key is "none"
            continue
        dedup_key = " ".join(text.casefold().split())
        if dedup_key not in seen:
            seen.add(dedup_key)
            kept.append(text)
    return kept


# ---------------------------------------------------------------------------
# Registry ids
# ---------------------------------------------------------------------------


class IdMatch(NamedTuple):
    """A registry id found in text; text[start:end] is the id as written."""

    registry: str
    id: str
    start: int
    end: int


# No check digits are validated, because we found no published algorithm to
# cite. EudraCT says its last two digits are one ("YYYY-NNNNNN-CC, where CC
# is a check digit": EMA's EudraCT help, "Create a EudraCT Number") but does
# not say how they are computed; for NCT, ISRCTN, UMIN, ACTRN and the others
# we found no check digit documented at all. Ids are checked by shape only.
_SEP = r"[ \t:#-]{0,3}"  # between a prefix and its digits: "ISRCTN: 123..", "NCT 0123.."
_FLAGS = re.ASCII | re.IGNORECASE


def _id_pattern(body: str, flags: int = _FLAGS) -> re.Pattern:
    # Digits never continue past an id; letters may precede one
    # ("IdentifierNCT04143984" is a real page).
    return re.compile(rf"(?<![0-9])(?:{body})(?![0-9])", flags)


# registry, pattern, formatter(match) -> canonical id
_ID_FORMATS: list[tuple[str, re.Pattern, Callable[[re.Match], str]]] = [
    ("NCT", _id_pattern(rf"NCT{_SEP}(\d{{8}})"), lambda m: f"NCT{m[1]}"),
    # "ISRCTNISRCTN63231313" is a real typo (an isrctn.com address).
    ("ISRCTN", _id_pattern(rf"ISRCTN(?:ISRCTN)?{_SEP}(\d{{8}})"), lambda m: f"ISRCTN{m[1]}"),
    ("UMIN", _id_pattern(rf"UMIN{_SEP}(\d{{9}})"), lambda m: f"UMIN{m[1]}"),
    ("JRCT", _id_pattern(rf"jRCT{_SEP}([a-z0-9])(\d{{9}})"), lambda m: f"jRCT{m[1].lower()}{m[2]}"),
    # ChiCTR2000032717, and the older ChiCTR-TRC-12002345 / ChiCTR-IOR-15006626.
    ("CHICTR", _id_pattern(r"ChiCTR(?:(\d{10})|-([A-Z]{3,4})-(\d{8}))"),
     lambda m: f"ChiCTR{m[1]}" if m[1] else f"ChiCTR-{m[2].upper()}-{m[3]}"),
    # EU CT numbers (CTIS): YYYY-5NNNNN-NN-NN, e.g. 2022-500244-37-00.
    ("CTIS", _id_pattern(r"(20\d{2})-(5\d{5})-(\d{2})-(\d{2})"),
     lambda m: f"{m[1]}-{m[2]}-{m[3]}-{m[4]}"),
    # EudraCT: YYYY-0NNNNN-NN, stored without an "EUCTR" prefix or a country
    # suffix ("EUCTR2015-001097-18-ES" -> "2015-001097-18").
    ("EUDRACT", _id_pattern(
        r"(?P<prefix>EUCTR[ -]?)?(20\d{2})-(0\d{5})-(\d{2})(?P<country>-(?:[A-Z]{2}|3RD)\b)?(?!-\d)",
        re.ASCII),
     lambda m: f"{m[2]}-{m[3]}-{m[4]}"),
    ("CTRI", _id_pattern(r"CTRI\s*[/-]\s*(20\d{2})\s*[/-]\s*(\d{2,3})\s*[/-]\s*(\d{6})"),
     lambda m: f"CTRI/{m[1]}/{m[2]}/{m[3]}"),
    ("ACTRN", _id_pattern(rf"ACTRN{_SEP}(\d{{14}})"), lambda m: f"ACTRN{m[1]}"),
    ("DRKS", _id_pattern(rf"DRKS{_SEP}(\d{{8}})"), lambda m: f"DRKS{m[1]}"),
    ("IRCT", _id_pattern(rf"IRCT{_SEP}(\d{{8,14}})N(\d{{1,3}})"), lambda m: f"IRCT{m[1]}N{m[2]}"),
    ("KCT", _id_pattern(rf"KCT{_SEP}(\d{{7}})"), lambda m: f"KCT{m[1]}"),
    # Upper case and whole words only: "NL" + digits is otherwise too common
    # (CCMO numbers such as NL12345.018.15 are not trial register ids).
    ("NTR", _id_pattern(r"\b(NTR)(\d{1,5})\b|\b(NL)(\d{4,5})\b(?!\.\d)", re.ASCII),
     lambda m: f"{m[1]}{m[2]}" if m[1] else f"{m[3]}{m[4]}"),
    ("PACTR", _id_pattern(rf"PACTR{_SEP}(\d{{15}})"), lambda m: f"PACTR{m[1]}"),
    ("TCTR", _id_pattern(rf"TCTR{_SEP}(\d{{11}})"), lambda m: f"TCTR{m[1]}"),
    ("ITMCTR", _id_pattern(rf"ITMCTR{_SEP}(\d{{8,12}})"), lambda m: f"ITMCTR{m[1]}"),
    # Registries without a canonical name of their own: the other WHO primary and partner
    # registries, in the id formats they issue.
    ("OTHER", _id_pattern(r"ChiMCTR(\d{10})"), lambda m: f"ChiMCTR{m[1]}"),
    ("OTHER", _id_pattern(r"\bRBR-([0-9a-z]{6,8})\b", re.ASCII), lambda m: f"RBR-{m[1]}"),  # ReBEC (Brazil)
    ("OTHER", _id_pattern(r"SLCTR/(20\d{2})/(\d{3})"), lambda m: f"SLCTR/{m[1]}/{m[2]}"),  # Sri Lanka
    ("OTHER", _id_pattern(r"LBCTR(\d{10})"), lambda m: f"LBCTR{m[1]}"),  # Lebanon
    ("OTHER", _id_pattern(r"RPCEC(\d{8})"), lambda m: f"RPCEC{m[1]}"),  # Cuba
    ("OTHER", _id_pattern(r"\bPER-(\d{3})-(\d{2})\b", re.ASCII), lambda m: f"PER-{m[1]}-{m[2]}"),  # Peru (REPEC)
    ("OTHER", _id_pattern(r"JapicCTI-?(\d{6})"), lambda m: f"JapicCTI-{m[1]}"),  # Japan (JAPIC)
    ("OTHER", _id_pattern(r"JMA-IIA(\d{5})"), lambda m: f"JMA-IIA{m[1]}"),  # Japan (JMACCT)
    ("OTHER", _id_pattern(r"\bNL-OMON(\d{1,6})\b", re.ASCII), lambda m: f"NL-OMON{m[1]}"),  # Netherlands (OMON)
    # WHO's Universal Trial Number, which a trial gets before any registry's id: U1111-NNNN-NNNN.
    ("OTHER", _id_pattern(r"\bU1111-(\d{4})-(\d{4})\b", re.ASCII), lambda m: f"U1111-{m[1]}-{m[2]}"),
]

# A bare EudraCT number counts in free text only after one of these labels
# (within _EUDRACT_LABEL_WINDOW characters), with an EUCTR prefix, or with a
# country suffix: "2015-001894-41" alone could be anything.
_EUDRACT_LABELS = re.compile(
    r"eudract|euctr|\beu[ -]ctr?\b|clinicaltrialsregister\.eu|eu clinical trials register"
    r"|trial (?:number|identifier|id)|registration (?:number|no)|secondary id",
    re.IGNORECASE,
)
_EUDRACT_LABEL_WINDOW = 60

# Id prefixes: a raw id starting with one of these but matching no format
# above is a malformed id of that registry, not an "OTHER" id.
_KNOWN_PREFIX = re.compile(
    r"(NCT|ISRCTN|UMIN|jRCT|ChiCTR|EUCTR|CTRI|ACTRN|DRKS|IRCT|KCT|PACTR|TCTR|ITMCTR)(?![a-z])",
    re.IGNORECASE,
)
# Registries whose ids are a fixed prefix plus digits: a bare number with a
# registry hint gets the prefix ("88261002" + ISRCTN -> ISRCTN88261002, the
# way ctrdata keys ISRCTN records).
_DIGIT_ID_PREFIX = {
    "NCT": "NCT", "ISRCTN": "ISRCTN", "UMIN": "UMIN", "ACTRN": "ACTRN", "DRKS": "DRKS",
    "KCT": "KCT", "PACTR": "PACTR", "TCTR": "TCTR", "ITMCTR": "ITMCTR", "CHICTR": "ChiCTR",
}
_EU_REGISTRIES = {"EUDRACT", "CTIS"}  # one family: pages call either a "EudraCT number"
# Keys of answers that say "there is no id" (UMIN "Secondary IDs: NO", CTRI "NIL").
_NO_ID_WORDS = {"no", "yes", "nil", "pending", "not registered", "not yet registered"}


def _scan_ids(text: str, bare_eudract_ok: bool) -> list[IdMatch]:
    """Every id match in text, earliest first, overlapping matches removed."""
    candidates = []
    for registry, pattern, formatter in _ID_FORMATS:
        for m in pattern.finditer(text):
            if registry == "EUDRACT" and not bare_eudract_ok and not (
                m["prefix"] or m["country"] or _EUDRACT_LABELS.search(
                    text, max(0, m.start() - _EUDRACT_LABEL_WINDOW), m.start())
            ):
                continue
            candidates.append(IdMatch(registry, formatter(m), m.start(), m.end()))
    candidates.sort(key=lambda match: (match.start, -match.end))
    kept: list[IdMatch] = []
    for match in candidates:
        if not kept or match.start >= kept[-1].end:
            kept.append(match)
    return kept


def find_registry_ids(text: str) -> list[IdMatch]:
    """All registry ids in free text, in order of appearance.

    De-duplicated by (registry, id), keeping the first span. Ids inside
    URLs count. A bare EudraCT-shaped number counts only in an id context
    (see _EUDRACT_LABELS); "ISRCTN Number N/A" yields nothing.
    """
    if not isinstance(text, str):
        return []
    found: list[IdMatch] = []
    seen: set[tuple[str, str]] = set()
    for match in _scan_ids(text, bare_eudract_ok=False):
        if (match.registry, match.id) not in seen:
            seen.add((match.registry, match.id))
            found.append(match)
    return found


def normalize_registry_id(raw: str, registry_hint: str | None = None) -> tuple[str, str]:
    """One id string -> (registry, canonical id).

    Accepts labels and decorations around the id ("EudraCT Number:
    2015-001894-41", "EUCTR2015-001097-18-ES", "ISRCTN 12345678"), and a bare
    number with a registry hint ("88261002", "ISRCTN"). Any other id ->
    ("OTHER", stripped raw) when it looks like one id ("CA209-017", "IRAS
    277021"); with registry_hint "OTHER" the caller vouches that the text is
    an id (a sponsor's study code such as "SAFEPRIM-II"), so only its length
    is checked. "N/A", "None", "NO", "-" and empty raise ValueError: they are
    never ids.
    """
    text = _as_text(raw, "registry id").strip() if raw is not None else ""
    hint = normalize_registry_name(registry_hint) if registry_hint else None
    if is_not_stated(text) or _key(text) in _NO_ID_WORDS:
        raise ValueError(f"registry id {_show(text)} says there is no id")

    # Bare digits plus a registry hint: "88261002" with ISRCTN.
    if hint in _DIGIT_ID_PREFIX and text.isdigit() and text.isascii():
        text = _DIGIT_ID_PREFIX[hint] + text

    matches = {(m.registry, m.id) for m in _scan_ids(text, bare_eudract_ok=True)}
    if len(matches) > 1:
        ids = ", ".join(sorted(id_ for _, id_ in matches))
        raise ValueError(f"registry id {_show(text)} holds several ids ({ids}); give one")
    if matches:
        registry, id_ = matches.pop()
        compatible = hint in (None, "OTHER", registry) or {hint, registry} <= _EU_REGISTRIES
        if not compatible:
            raise ValueError(f"id {id_} belongs to registry {registry}, not {hint}")
        return registry, id_

    prefix = _KNOWN_PREFIX.search(text)
    if prefix:
        raise ValueError(
            f"registry id {_show(text)} starts with {prefix[1]} but is not in that registry's format"
        )
    if hint not in (None, "OTHER"):
        raise ValueError(f"registry id {_show(text)} is not in the format of {hint} ids")
    if len(text) > 64:
        raise ValueError(f"registry id {_show(text)} is too long to be one id")
    if hint == "OTHER":
        return "OTHER", text
    # Unvouched, an id is one token with a digit ("CA209-017", "ELFIN01") or a
    # label and a number ("IRAS 277021"), not a phrase such as "18 years".
    tokens = text.split()
    digits = len(re.findall(r"[0-9]", text))
    if not (len(tokens) == 1 and digits >= 1 or len(tokens) == 2 and digits >= 3):
        raise ValueError(f"registry id {_show(text)} does not look like a trial id")
    return "OTHER", text
