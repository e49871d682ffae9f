"""Resolve: the steps that create or reshape values, kept apart from checking them.

Grounding (pipeline/grounding.py) keeps a value only where a span of the text states it as its
field. Some answers are reshaped on the way: one criterion per item where a page ran several
into one, one treatment per item where the model joined two ("A plus B"), a list of phases cut
to the phases stated. Once every field is in, a placebo the page says participants receive is
added (its evidence carries the method PLACEBO_ADDED), an empty masking is filled where the
page names one masking kind (MASKING_STATED), an empty sex where the population the page
names is one sex (SEX_OF_POPULATION), an "acronym" that is an intervention's
short name is dropped, and so is a condition written as one of the interventions is named. A
condition or intervention a title names is stated there (eval/README.md): titles are not a
reason to drop one. Each step is one named function, to be read and ablated (bench/ablation.py)
on its own.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any, Callable

from . import field_checks, statements
from .field_checks import Page
from .records import Evidence, Finding, Rejection
from .registry_records import only_a_lead_in

if TYPE_CHECKING:
    from .grounding import Grounded

_WS = re.compile(r"\s+")
_Texts = Callable[[str], list]  # every span of the cleaned text stating a text (grounding's locator)


# --- before grounding: one criterion, one treatment per item ------------------------------------


_CRITERIA_FIELDS = {"inclusion_criteria", "exclusion_criteria"}
# Where a page ran several criteria into one item: "; " always; a flattened list's " - ", " * "
# or " • " when a capital letter or bracket follows ("... (SCLC) - Subjects with ...").
_CRITERIA_SEPARATOR = re.compile(r";\s+|\s+[-*\u2022]\s+(?=[A-Z(])")


# A numbered list run into one line: " 2. " before a capital, where the numbers count up.
_INLINE_NUMBER = re.compile(r"\s+(\d{1,2})[.)]\s+(?=[A-Z(])")
# A connector left at the end of an item of a flattened list ("... within six months. AND").
_TRAILING_CONNECTOR = re.compile(r"\s+(?:AND|OR|and/or)\s*$")


def _numbered_parts(item: str) -> list[str]:
    """"Age 18-65 2. Able to consent 3. No prior therapy" -> its three items; an item whose
    inline numbers do not count up from 2 (a dose "2. 5 mg", a list "1. 3. 5.") stays whole."""
    cuts = [m for m in _INLINE_NUMBER.finditer(item)]
    if not cuts or [int(m.group(1)) for m in cuts] != list(range(2, len(cuts) + 2)):
        return [item]
    starts = [0] + [m.end() for m in cuts]
    ends = [m.start() for m in cuts] + [len(item)]
    return [item[a:b] for a, b in zip(starts, ends)]


def one_criterion_each(item: Any) -> list:
    """One criterion per item. Separators inside brackets do not split, and a part after a
    dash or bullet must be three words or more, so that "Stage IIIB - IV" stays whole. A
    numbered list run into one item is split at its numbers, and a connector a flattened list
    leaves at an item's end ("AND") is not part of the criterion."""
    if not isinstance(item, str):
        return [item]
    numbered = _numbered_parts(item)
    if len(numbered) > 1:
        return [part for piece in numbered for part in one_criterion_each(piece)]
    item = _TRAILING_CONNECTOR.sub("", item)
    parts: list[str] = []
    position = 0
    for separator in _CRITERIA_SEPARATOR.finditer(item):
        before = item[:separator.start()]
        if before.count("(") + before.count("[") > before.count(")") + before.count("]"):
            continue  # inside brackets: "(combined oral contraceptive pill; injectable ...)" is one criterion
        following = item[separator.end():]
        next_stop = _CRITERIA_SEPARATOR.search(following)
        if not separator.group().startswith(";") and \
                len(following[: next_stop.start() if next_stop else len(following)].split()) < 3:
            continue
        parts.append(item[position:separator.start()])
        position = separator.end()
    parts.append(item[position:])
    parts = [part.strip(" \t;*\u2022-") for part in parts]
    if all(only_a_lead_in(part) for part in parts):
        return []  # it introduces criteria and states none
    return [part for part in parts if re.search(r"\w", part) and not only_a_lead_in(part)] or [item]


def one_item_each(findings: list[Finding]) -> list[Finding]:
    """Each model-proposed criteria list with one criterion per item, and each interventions list
    with one treatment per item; evidence-backed findings (rules, records) are the page's own items
    and stay as they are."""
    out = []
    for finding in findings:
        value = finding.value
        if finding.field in _CRITERIA_FIELDS and finding.evidence is None and value not in (None, [], ""):
            items = value if isinstance(value, list) else [value]
            finding = Finding(finding.field, [part for item in items for part in one_criterion_each(item)],
                              finding.method, finding.evidence)
        if finding.field == "interventions" and finding.evidence is None and isinstance(value, list):
            finding = Finding(finding.field, [part for item in value for part in one_treatment_each(item)],
                              finding.method, finding.evidence)
        out.append(finding)
    return out


# Two treatments a model wrote as one name: "drug A or drug B", "A versus B", "A plus B", "A + B".
# Not "with or without X" (one treatment, optional) nor a count ("one or two tablets").
_TREATMENT_SEPARATOR = re.compile(r"(?<!\bwith)\s+(?:or|versus|vs\.?|plus)\s+|(?<![\d\s])\s*\+\s*(?![\s\d])", re.I)
_NUMBER = r"(?:\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten)"
_A_COUNT = re.compile(rf"\b{_NUMBER}\s+(?:or|to)\s+{_NUMBER}\b", re.I)


def one_treatment_each(item: Any) -> list:
    """One intervention per item: a name joining two treatments is split, each part keeping the
    item's type; a part must be a name (two letters or more), else the item stays whole. A
    development code in brackets after a name is an alias of it, not part of it."""
    if not isinstance(item, dict) or not isinstance(item.get("name"), str) or _A_COUNT.search(item["name"]):
        return [item]
    item = {**item, "name": name_without_its_code(item["name"])}
    parts = [part.strip() for part in _TREATMENT_SEPARATOR.split(item["name"])]
    if len(parts) < 2 or any(len(re.findall(r"[^\W\d_]", part)) < 2 for part in parts):
        return [item]
    return [{**item, "name": part, "description": None} for part in parts]


# "Examplizumab (XYZ-12345)", "X(AB-12)": a bracketed code (letters and digits, no spaces) after a
# one-word name of four letters or more. Not a dose or strength ("(10 mg)", "(81mg)", "(0.5%)") nor
# an abbreviation without digits ("(ABC)"), which scorers and readers take as part of the name.
_BRACKETED_CODE = re.compile(r"(?<=[^\W\d_]{4})\s*[(\[](?=[^)\]]*\d)(?=[^)\]]*[^\W\d_])"
                             r"(?!\d+(?:[.,]\d+)?(?:[mµu]?g|mcg|m?l|IU|U|units?|mmol|%)(?:/\w+)?[)\]])[\w./-]{2,15}[)\]]$",
                             re.IGNORECASE)


def name_without_its_code(name: str) -> str:
    stripped = _BRACKETED_CODE.sub("", name.strip())
    # one word before the code is a drug's own name; "study drug (ABC-123)" is named by its code
    return stripped if stripped and len(stripped.split()) == 1 else name


# --- while grounding: a value reshaped to what the page states -----------------------------------


def stated_phases(out: "Grounded", finding: Finding, text: str) -> Finding:
    """A list of phases is a value of its own ("Phase 2/3"), but where the page states only some
    of the answer's phases, those are what it states (the others are rejected)."""
    value = finding.value
    if finding.field != "phases" or finding.evidence is not None or len(value) <= 1:
        return finding
    stated = [phase for phase in value if statements.find_enum("phases", phase, text)]
    if not stated or stated == list(value):
        return finding
    for phase in value:
        if phase not in stated:
            out.rejections.append(Rejection("phases", phase, finding.method,
                                            "no span of the source text states this phase"))
    return Finding("phases", stated, finding.method)


# --- after grounding: across fields --------------------------------------------------------------


def after_grounding(out: "Grounded", page: Page, texts: _Texts) -> None:
    """The steps that need every field in: add a stated placebo, fill an empty masking with the one
    kind the page names and an empty sex with the one sex its population is, then drop an acronym
    that is a drug's short name, a condition that is one of the interventions or a broader name of
    another, and a site that is where a contact works."""
    _add_a_stated_placebo(out, page, texts)
    _masking_of_the_one_kind_stated(out, page)
    _sex_of_a_one_sex_population(out, page)
    _drop_acronym_of_an_intervention(out)
    _drop_a_condition_that_is_an_intervention(out)
    _drop_a_condition_named_again_more_broadly(out, page)
    _drop_a_site_that_is_a_contacts_workplace(out, page)


# A placebo is one of the trial's interventions where the page says participants get it ("half
# will receive a placebo", "drug X or placebo", "compared to placebo", "the others take a
# placebo", "assumono X o il placebo"): a small model that
# names the drug often leaves the comparator out. "Placebo-controlled", a design word, and a
# "placebo run-in" are no such statement.
_CJK_PLACEBO = "\u5b89\u6170\u5242|\u30d7\u30e9\u30bb\u30dc|\uc704\uc57d"  # 安慰剂 プラセボ 위약
_PLACEBO_GIVEN = re.compile(
    r"\b(?:receiv\w*|given|giving|administered|(?:assigned|allocated|randomi[sz]ed) to|or|and|versus|vs\.?"
    r"|take[sn]?|took|taking|get|gets|getting|got"
    r"|compared (?:to|with)|against|rebr\w*|re\u00e7oi\w*|recib\w*|erhalt\w*|assum\w*|pren\w*|ou|o|oder)"
    r"\s+(?:(?:an?|un|une|una|ein|einen?|the|il|el|le|la|lo|der|die|das|den|matching|a matching)\s+)?(?P<placebo>placebo)\b"
    r"(?![- ]?(?:controlled|control\b|run-in|corrected))"
    # Chinese, Japanese, Korean: a placebo group ("安慰剂对照组", "プラセボ群", "위약군"), placebo given with
    # or beside the drug ("或安慰剂", "とプラセボ", "또는 위약"), or a count of those who get it ("プラセボ20例");
    # "安慰剂对照" / "プラセボ対照" / "위약 대조" alone is the design word "placebo-controlled".
    rf"|(?:\u6216|\u548c|\u4e0e|\u63a5\u79cd|\u7ed9\u4e88|\u670d\u7528|\u3068|\u307e\u305f\u306f|\ub610\ub294\s*)"
    rf"(?P<placebo_before>{_CJK_PLACEBO})"  # 或 和 与 接种 给予 服用 と または 또는
    # a group in running text (a word before it: "试验设有安慰剂对照组"; a line that is only "安慰剂组" is
    # a group's label, which says nothing of who gets what, as in English)
    rf"|(?:(?<=[^\W\d_])|(?<=[^\W\d_] ))(?P<placebo_group>{_CJK_PLACEBO})"
    r"(?=\s*(?:\u5bf9\u7167)?\u7ec4|\s*(?:\u5bfe\u7167)?\u7fa4|\s*(?:\ub300\uc870)?\s*\uad70)"  # (对照)组 (対照)群 (대조)군
    rf"|(?P<placebo_count>{_CJK_PLACEBO})"
    r"(?=\s*\d+\s*(?:\u4f8b|\u4eba|\u540d|\uba85)|\u3092\u6295\u4e0e|\s*\ud22c\uc5ec)", re.I)  # N例/人/名/명, を投与, 투여
PLACEBO_ADDED = "grounding:placebo"
_PLACEBO_WORDS = ("placebo", *_CJK_PLACEBO.split("|"))


def _add_a_stated_placebo(out: "Grounded", page: Page, texts: _Texts) -> None:
    interventions = out.values.get("interventions", [])
    if not interventions or any(word in str(item.get("name") or "").casefold()
                                for item in interventions for word in _PLACEBO_WORDS):
        return
    given = _PLACEBO_GIVEN.search(page.text)  # the cleaned text: not a "similar trials" box's placebo
    if given is None:
        return
    group = given.lastgroup  # each way of stating it names its placebo group, and only that one
    interventions.append({"name": given[group], "type": None, "description": None})
    evidence = page.evidence(statements.Span(*given.span(group)))
    out.evidence["interventions"].append(dataclasses.replace(evidence, method=PLACEBO_ADDED))


# A page that names one masking kind in words and no other ("a randomised, double-blind study",
# "studio in doppio cieco", "双盲") states its masking, in whatever language the shared detector
# reads; a small model asked for it often answers nothing. Filled only where no label or answer
# gave masking. Planning grounds the rules' findings first, so on a page naming one kind (and no
# masking label) masking is settled here and not asked; two kinds named ("a double-blind period,
# then an open-label extension") leave the field to the model.
MASKING_STATED = "resolve:masking_stated"


def _masking_of_the_one_kind_stated(out: "Grounded", page: Page) -> None:
    if out.values.get("masking") is not None:
        return
    stated = [(kind, span) for kind, span in statements.enum_statements("masking", page.text) if kind]
    if len({kind for kind, _ in stated}) != 1:
        return
    kind, span = stated[0]
    _fill(out, "masking", kind, page.evidence(span), MASKING_STATED)


# A trial "in women with migraine" or "in 80 boys aged 6 to 12" enrols one sex (eval/README.md:
# an unambiguous paraphrase); a small model asked for sex often answers "All" there, which no span
# states. Filled only where no label or answer gave sex, every population phrase names the same sex,
# and nothing on the page says both ("men and women", "either sex": then the field is the model's).
# Planning grounds the rules' findings first, so on such a page sex is settled here and not asked.
SEX_OF_POPULATION = "resolve:sex_of_population"


def _sex_of_a_one_sex_population(out: "Grounded", page: Page) -> None:
    if out.values.get("sex") is not None:
        return
    named = list(statements.population_sex_statements(page.text))
    if len({sex for sex, _ in named}) != 1:
        return
    if any(stated == "ALL" for stated, _ in statements.enum_statements("sex", page.text)):
        return
    sex, span = named[0]
    _fill(out, "sex", sex, page.evidence(span), SEX_OF_POPULATION)


def _fill(out: "Grounded", field_name: str, value: Any, evidence: Evidence, method: str) -> None:
    """Store a value a resolve step read from the page, its evidence tagged with the step's method."""
    out.values[field_name] = value
    out.evidence[field_name] = [dataclasses.replace(evidence, method=method)]
    out.methods[field_name] = method


def _drop_acronym_of_an_intervention(out: "Grounded") -> None:
    """An "acronym" that is an intervention's name or a word of it ("GLA" of "GLA-SE", "CZP") is the
    drug's short name, not the trial's; judged once the interventions are in."""
    acronym = str(out.values.get("acronym") or "").strip().casefold()
    if not acronym or out.methods.get("acronym", "").startswith("rule:"):
        return
    for intervention in out.values.get("interventions", []):
        name = str(intervention.get("name") or "").casefold()
        words = set(re.findall(r"\w+(?:-\w+)*", name)) | set(re.findall(r"\w+", name))  # "gla-se", "gla", "se"
        if acronym == name or acronym in words:
            out.rejections.append(Rejection("acronym", out.values.pop("acronym"), out.methods.pop("acronym"),
                                            "an intervention's short name, not the trial's acronym"))
            out.evidence.pop("acronym", None)
            return


def _drop_a_condition_that_is_an_intervention(out: "Grounded") -> None:
    """A condition written exactly as one of the trial's interventions is named ("vitamin C",
    "exercise training") is the treatment given, not the disease studied: the same words cannot be
    both. A condition that only contains an intervention's name ("vitamin D deficiency") stays."""
    given = {_WS.sub(" ", str(item.get("name") or "")).strip().casefold()
             for item in out.values.get("interventions", [])} - {""}
    conditions = out.values.get("conditions", [])
    for index in reversed(range(len(conditions))):
        if _WS.sub(" ", str(conditions[index])).strip().casefold() in given:
            _reject_item(out, "conditions", index, "named as one of the trial's interventions: the treatment, not the condition")


def _reject_item(out: "Grounded", name: str, index: int, reason: str) -> None:
    """Move item `index` of list field `name` from the accepted values (with its evidence) to the
    rejections; a field left empty is no longer accepted at all."""
    items = out.values[name]
    out.rejections.append(Rejection(name, items.pop(index), out.methods.get(name, ""), reason))
    out.evidence[name].pop(index)
    if not items:
        del out.values[name]
        out.evidence.pop(name, None)
        out.methods.pop(name, None)


def _drop_a_site_that_is_a_contacts_workplace(out: "Grounded", page: Page) -> None:
    """A site named as a contact person's affiliation is where that person works: registry forms
    give the investigator's and the contact's institution, which a model copies as a site. Under
    a locations heading it is stated as a site all the same."""
    def words(text: Any) -> set:
        return set(re.findall(r"\w+", str(text or "").casefold()))
    workplaces = [words(item.get("affiliation")) for item in out.values.get("contacts", []) if isinstance(item, dict)]
    workplaces = [w for w in workplaces if w]
    sites = out.values.get("sites", [])
    for index in reversed(range(len(sites))):
        name = words(sites[index].get("name") if isinstance(sites[index], dict) else sites[index])
        if not (name and any(name <= place or place <= name for place in workplaces)):
            continue
        evidence = out.evidence["sites"][index]
        if field_checks.heading_above(page.document.text, statements.Span(evidence.start, evidence.end),
                                       lines=60) != "locations":
            _reject_item(out, "sites", index, "a contact's affiliation: where a person works, not stated as a site")


def _drop_a_condition_named_again_more_broadly(out: "Grounded", page: Page) -> None:
    """A condition whose words all stand in another accepted condition, and which the page writes
    only inside that condition's name ("arthritis" only in "rheumatoid arthritis"), is that
    condition named less specifically: one condition, not two. A term list that gives both as
    items of their own ("Depression", "Depression, Postpartum") keeps both."""
    conditions = out.values.get("conditions", [])
    words = [set(re.findall(r"\w+", str(item).casefold())) for item in conditions]
    for index in reversed(range(len(conditions))):
        narrower = [str(conditions[other]) for other in range(len(conditions))
                    if other != index and words[index] and words[index] < words[other]]
        if narrower and not _written_apart(page.text, str(conditions[index]), narrower):
            _reject_item(out, "conditions", index,
                         "written only inside another accepted condition, which names it more specifically")
            words.pop(index)


def _phrase_pattern(phrase: str) -> re.Pattern:
    return re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, phrase.split())) + r"(?!\w)", re.I)


def _written_apart(text: str, phrase: str, containers: list[str]) -> bool:
    """Whether `text` writes `phrase` somewhere outside every occurrence of the `containers`."""
    inside = [match.span() for container in containers for match in _phrase_pattern(container).finditer(text)]
    return any(not any(start <= match.start() and match.end() <= end for start, end in inside)
               for match in _phrase_pattern(phrase).finditer(text))
