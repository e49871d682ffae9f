"""The checks that a span states a value *as its field*, and the table of which field needs which.

Grounding (pipeline/grounding.py) finds where the text mentions a value; these checks decide
whether that mention states it as the field it was proposed for: a name with no sponsor cue near
it is not the sponsor, a condition named only in the criteria is not the condition studied,
a criterion stands where the page lists criteria. Each check reads the text around one span;
adding one is a line in FIELD_CHECKS. Statement detectors are pipeline/statements.py's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Optional

from . import statements
from .records import CleanText, Document, Evidence, Finding
from .registry_records import DANGLING_WORDS
from .sections import classify_heading, heading_label
from ..schemas import lexicon, normalize

if TYPE_CHECKING:
    from .grounding import Grounded


@dataclass(frozen=True)
class Page:
    """One document as the checks read it: the cleaned text, and the raw text its offsets map to."""

    document: Document
    clean: CleanText

    @property
    def text(self) -> str:
        return self.clean.text

    def evidence(self, span: statements.Span) -> Evidence:
        start, end = self.clean.raw_span(span.start, span.end)
        return Evidence(start=start, end=end, quote=self.document.text[start:end])


class Check(NamedTuple):
    """A span states the value as its field where `states(page, span)` holds; a value none of
    whose spans passes is rejected with `reason`. `applies` says which findings it judges."""

    states: Callable[[Page, statements.Span], Any]
    reason: str
    applies: Callable[[Finding], bool] = lambda finding: True


class ItemCheck(NamedTuple):
    """A located list item is this field's where `states(out, page, item, spans)` holds; else `reason`."""

    states: Callable[["Grounded", Page, dict, list], Any]
    reason: str


# --- where a span stands -------------------------------------------------------------------------


def label_before(text: str, span: statements.Span) -> str:
    """The text before a value on its line, or the nearest line above when nothing on the value's
    line labels it (the value starts its line, or sits inside an unlabelled line such as an address)."""
    line_start = statements.start_of_line(text, span.start)
    before = text[line_start:span.start]
    if ":" in before or line_start == 0:
        return before
    start, end = statements.line_above(text, line_start)
    return text[start:end]


def heading_above(text: str, span: statements.Span, lines: int = 25) -> Optional[str]:
    """The section label of the nearest heading above a span (within `lines` lines), or None."""
    return _heading_line_above(text, span, lines)[0]


def _heading_line_above(text: str, span: statements.Span, lines: int = 25) -> tuple[Optional[str], str]:
    """(section label, heading line) of the nearest heading above a span, or (None, "")."""
    line_start = statements.start_of_line(text, span.start)
    for line in reversed(text[:line_start].splitlines()[-lines:]):
        label = heading_label(line.strip()) if line.strip() else None
        if label:
            return label, line.strip()
    return None, ""


def _sentence_start(text: str, end: int) -> int:
    """Where the sentence holding `end` starts: after a full stop and a space, or the line's start."""
    full_stop = text.rfind(". ", 0, end)  # -1 where none: the line's start, not its second character
    return max(statements.start_of_line(text, end), full_stop + 2 if full_stop >= 0 else 0)


def _sentence_end(text: str, start: int) -> int:
    """Where the sentence holding `start` ends: a full stop before a space, or the line's end."""
    match = re.compile(r"\.(?=\s|$)|\n").search(text, start)
    return match.start() if match else len(text)


# --- stated as the field -------------------------------------------------------------------------


_TITLE_LABEL = re.compile(r"title|titre|titel|t\u00edtulo|titolo|\u9898\u76ee|\u6807\u9898|\u984c\u540d", re.I)  # 题目 标题 題名
SCIENTIFIC_TITLE_LABEL = re.compile(r"(?<!public )(?<!brief )(?<!lay )title|titre|titel|t\u00edtulo", re.I)
# A label that gives the scientific title by name: what stands under it is not the public title.
_NAMED_SCIENTIFIC_TITLE_LABEL = re.compile(
    r"(?:scientific|official|full|complete)\s+title|titre\s+(?:scientifique|officiel|complet)"
    r"|wissenschaftliche[rn]?\s+titel|t\u00edtulo\s+(?:cient\u00edfico|oficial|completo)|titolo\s+(?:scientifico|completo)"
    r"|\u79d1\u5b66\u540d|\u6b63\u5f0f\u540d|\u6b63\u5f0f\u79d1\u5b66",  # 科学名 正式名 正式科学
    re.I)


# Labels that give an organization a role other than sponsor or site (a collaborator, the
# responsible party, an investigator's affiliation, an address): a name under one is not stated
# as a site.
_OTHER_ROLE_LABEL = re.compile(
    r"(?:collaborators?|information provided by(?: \(responsible party\))?|responsible party"
    r"|principal investigators?|study (?:director|chair|leader)|applicant|affiliation|address|contact person"
    r"|national competent authority|\u5730\u5740)\s*[:|\uff1a]?\s*$", re.I)  # \u5730\u5740: "address"
# A site is where the trial runs: an organization labelled as the sponsor, or as a contact's or
# sponsor's "Organization"/"Institute" (UMIN), is not stated as a site.
_NOT_A_SITE_LABEL = re.compile(r"(?:sponsor|funder|organi[sz]ation|institute)\s*[:|\-]?\s*$", re.I)


# "Sponsor's Protocol Code Number: ClonDO", "Other Study ID Numbers: MT103-203", or an unlabelled
# line under the registry id (aggregators list the NCT number, then the sponsor's code).
_CODE_LABEL = re.compile(r"(?:protocol|code|numbers?|ids?|identifiers?)\s*[:|]?\s*$", re.I)


# Where a page gives a short name as the trial's own: under an acronym label, set apart at a title
# line's end ("... in Chest Pain (ABC)", "... - ABC") or on a line of its own, beside a word for
# the trial ("the ABC study", "trial (ABC-2)", "a Phase 3 trial, Abc,"), or spelled out beside it
# ("ABC (A Big Cohort)"). A short name in running text with none of these is a drug's, a
# company's or a disease's abbreviation: "drugname pegol (DP) 200 mg", "Acme Inc. (ACME)".
_ACRONYM_LABEL = re.compile(r"acronym|abbreviat|short (?:title|name)|akronym|acr\u00f3nimo|acronyme"
                            r"|\u7565\u79f0|\u7f29\u5199|\u7b80\u79f0", re.I)  # 略称 缩写 简称
_TRIAL_WORD = re.compile(lexicon.TRIAL_WORDS, re.I)
_WORDS_BESIDE = 4
# What may follow a name that ends its line: closing brackets and quotes, not a sentence's end. A
# short name closing a sentence of prose ("... approved for chronic kidney disease (CKD).") is
# whatever the sentence abbreviates; a trial's name in prose has its other cues (a trial word).
_CLOSING = " \t)]}\"'\u201d\u2019\u00bb\u300b\u3011|*"
# What may stand before a name that ends or heads its line: nothing, an opening bracket or quote,
# a separator or a bullet. A name that ends a run of words ("... begins a trial of ABC-123") is
# that sentence's object, whatever it is.
_SET_APART = re.compile(r"(?:^|[(\[{\"'\u201c\u2018\u00ab\u300a\u3010:|/*\u2022\-\u2013\u2014])[\s\"'\u201c\u2018]*$")
# A word that links a trial word to what the trial studies, gives or compares, or where it runs:
# "a trial of ABC-123", "the study evaluating ABC in adults", "ABC-123 in a Phase 1 trial". A
# short name joined to a trial word by one of these is not the trial's name; one beside it with
# only an article, a phase or a descriptor between is ("the ABC Phase III clinical study").
_LINKING_WORD = re.compile(
    r"of|with|for|in|on|to|at|by|from|into|using|versus|vs|against|about|and|or"
    r"|evaluat\w*|assess\w*|test\w*|compar\w*|investigat\w*|examin\w*|explor\w*|treat\w*"
    r"|di|de|del|della|dello|des|du|da|do|von|zu|mit|con|avec|f\u00fcr|per|para|pour|en|im|sur|sobre", re.I)


def _named_as_the_trial(text: str, span: statements.Span) -> bool:
    line_start, line_end = statements.start_of_line(text, span.start), statements.end_of_line(text, span.end)
    before, after = text[line_start:span.start], text[span.end:line_end]
    if _ACRONYM_LABEL.search(before) or (not re.search(r"[^\W\d_]", before) and line_start > 0 and
                                          _ACRONYM_LABEL.search(text[slice(*statements.line_above(text, line_start))])):
        return True
    if _SET_APART.search(before) and (
            not after.strip(_CLOSING) or re.match(r"[\s)\]\"\u201d]*(?::|\s[-\u2013\u2014]\s)", after)):
        return True  # ends its line (a title's end, a name on its own line) or heads a title ("X: ...")
    if _beside_a_trial_word(re.findall(r"[^\W_]+", before)[::-1]) or _beside_a_trial_word(re.findall(r"[^\W_]+", after)):
        return True
    spelled = re.match(r"\s*\(([^)\n]{5,120})\)", after)
    letters = re.sub(r"[^A-Za-z]", "", text[span.start:span.end]).upper()
    return bool(spelled and len(letters) >= 2 and
                "".join(ch for ch in spelled[1] if ch.isupper()).startswith(letters[:3]))


def _beside_a_trial_word(words_outward: list[str]) -> bool:
    """Whether a trial word is among the nearest words on one side of a name, read outward from
    it, with no linking word between them."""
    for word in words_outward[:_WORDS_BESIDE]:
        if _TRIAL_WORD.fullmatch(word):
            return True
        if _LINKING_WORD.fullmatch(word):
            return False
    return False


_NEWS_EVENT = re.compile(rf"(?<![^\W\d_])(?:{lexicon.NEWS_EVENT_VERBS})(?![^\W\d_])|{lexicon.CJK_NEWS_EVENT_VERBS}", re.I)


_RECRUITMENT_CALL = re.compile(lexicon.RECRUITMENT_CALLS, re.I)


def _calls_for_participants(title: str) -> bool:
    """Whether a title-like line is an advertisement's call ("Volunteers needed for ...")."""
    return bool(_RECRUITMENT_CALL.search(title))


def _reports_an_event(title: str) -> bool:
    """Whether a title-like line is a headline: it reports what someone did (a verb of news)."""
    return bool(_NEWS_EVENT.search(title))


def _under_a_title_label(text: str, span: statements.Span) -> bool:
    return bool(_TITLE_LABEL.search(label_before(text, span)))


def _under_an_acronym_label(text: str, span: statements.Span) -> bool:
    return bool(re.search(r"acronym", label_before(text, span), re.I))


# A word of three or more lower-case letters: "general information", "related records".
_ORDINARY_WORD = re.compile(r"(?<![\w-])[a-z]{3,}")


def _written_as_a_name(text: str) -> bool:
    """A trial's short name is written as a name: capitals, digits or capitalised words ("KIDNEY-GO 2",
    "StarLite 017", "Beacon IV", "iCARE"); words in lower case make it a phrase or a heading."""
    return not _ORDINARY_WORD.search(text)


# A code, not a name: one token holding a run of three or more digits, or digits between letters
# ("ABC-123", "XY12Z", "MK-3475-054"). A name may end on a short number ("ABC-3", "TRIAL 2"), and a
# word one can say (four letters or more, two of them vowels) set apart from a number is a name
# with its number ("KALIVO-301", "HORIZON 204"), not a sponsor's letters-and-digits code.
_CODE_SHAPE = re.compile(r"\S*(?:\d{3,}|[A-Za-z][-_.]?\d+[-_.]?[A-Za-z])\S*")
_SPOKEN_WORD_AND_NUMBER = re.compile(r"(?=(?:[A-Za-z]*?[AEIOUaeiou]){2})[A-Za-z]{4,}[- ]\d{1,4}")


def _shaped_like_a_code(text: str) -> bool:
    text = text.strip()
    return bool(_CODE_SHAPE.fullmatch(text)) and not _SPOKEN_WORD_AND_NUMBER.fullmatch(text)


def _labelled_as_a_code(text: str, span: statements.Span) -> bool:
    label = label_before(text, span).strip()
    ids = normalize.find_registry_ids(label)
    return bool(_CODE_LABEL.search(label)) or (len(ids) == 1 and ids[0].end - ids[0].start >= len(label) - 1)


def describes_its_design(title: str) -> bool:
    """An official title states the design ("A Randomized, Double-blind, Parallel-group Study of
    ..."): two of allocation, masking and the intervention model. A public title rarely does."""
    return sum(any(True for _ in statements.enum_statements(name, title))
               for name in ("allocation", "masking", "intervention_model")) >= 2


# A sponsor is a role a page gives an organization, with a label or a phrase on its line or the
# line above ("Sponsor:", "Primary sponsor", "funded by", "conducted by", a company announcing its
# trial, the word for a company in the pages' languages; the same words in the registries' other
# languages). Any other organization a page names (a registry, a site, a trial group, a drug in a
# link list) is not stated as the sponsor.
_SPONSOR_CUE = re.compile(
    rf"sponsor|fund|financ|conduct|run by|led by|organi[sz]ed by|initiat|{lexicon.COMPANY_WORDS}|announc"
    r"|\u7533\u529e|\u8d44\u52a9|\u4e3b\u529e|\u4e3b\u8fa6|\u5b9f\u65bd|\u4e3b\u50ac|\u30b9\u30dd\u30f3\u30b5\u30fc"  # 申办 资助 主办 主辦 実施 主催 スポンサー
    r"|\uc2a4\ud3f0\uc11c|\uc758\ub8b0|promot|patrocin|f\u00f6rder|auftraggeber",  # 스폰서 의뢰
    re.I)


_COMPANY_NAME = re.compile(lexicon.COMPANY_NAME_WORDS, re.I)


def _stated_as_sponsor(text: str, span: statements.Span) -> bool:
    line_start = statements.start_of_line(text, span.start)
    window_start = statements.line_above(text, line_start)[0] if line_start > 0 else line_start
    return bool(_SPONSOR_CUE.search(text[window_start:statements.end_of_line(text, span.end)]))


# A site is a place the trial runs: with no city or country, its name or a label on its line or
# the line above must say so ("Locations", "Study site", a hospital, clinic or centre).
_SITE_CUE = re.compile(
    r"locat|\bsites?\b|cent(?:re|er)|hospital|clinic|klinik|h\u00f4pital|universit|institut|recruit"
    r"|\u533b\u9662|\u75c5\u9662|\ubcd1\uc6d0",  # 医院 病院 병원
    re.I)


def _stated_as_a_place(text: str, span: statements.Span) -> bool:
    line_start = statements.start_of_line(text, span.start)
    window_start = statements.line_above(text, line_start)[0] if line_start > 0 else line_start
    return bool(_SITE_CUE.search(text[window_start:statements.end_of_line(text, span.end)]))


def _labelled_as_another_role(text: str, span: statements.Span) -> bool:
    """Whether the label just before a name gives it another role (collaborator, address...)."""
    return bool(_OTHER_ROLE_LABEL.search(label_before(text, span)))


# ISRCTN's "Condition category: Circulatory System" classes the trial; it names no condition.
_CATEGORY_LABEL = re.compile(r"(?:condition|disease|therapeutic) (?:category|area|class)\s*:?\s*$", re.I)


def _not_stated_as_condition(text: str, span: statements.Span) -> bool:
    """A disease named in an eligibility criterion ("diagnosis of probable Alzheimer's
    disease") is who may enrol, not what the trial studies; a category is not a condition."""
    return bool(_CATEGORY_LABEL.search(label_before(text, span))) or _names_who_may_enrol(text, span)


# A line that ends by introducing what a person must be or do ("Participants must:", "You should
# not:", "To take part you need to:") or on what condition they may take part ("You can take
# part if:", "You may be able to join if:"): the list under it states who may enrol.
_REQUIREMENTS_LEAD = re.compile(
    r"\b(?:must|should|need to|needs to)(?: not| have| be)?[ \t]*:$"
    r"|\b(?:participate|take part|join|enrol+|be included|be eligible|qualify)\b[^:\n]*\bif[ \t]*:$", re.I)
# A list item's start: a bullet, a dash or a number, or a table's row number before a capitalised
# word, glued to it where a flattened table lost the cell border ("1Aged 18 or over").
_LIST_ITEM_LINE = re.compile(r"[-\u2013*\u2022\u00b7>]|\(?(?:\d{1,2}|[a-z])[.)]\s|\d{1,2}[ \t]?(?-i:[A-Z][a-z])", re.I)
# A table's column header between a list's lead and its rows: a word or two, no punctuation.
_COLUMN_HEADER_LINE = re.compile(r"[^\W\d_]+(?: [^\W\d_]+)?")


def _under_a_requirements_lead(text: str, span: statements.Span, lines: int = 40) -> bool:
    """The span's line is an item of a list whose lead line (the nearest line above that is
    neither an item nor a column header) introduces requirements."""
    line_start = statements.start_of_line(text, span.start)
    for line in reversed(text[:line_start].splitlines()[-lines:]):
        line = line.strip()
        if line and not _LIST_ITEM_LINE.match(line) and not _COLUMN_HEADER_LINE.fullmatch(line):
            return bool(_REQUIREMENTS_LEAD.search(line))
    return False


def _in_eligibility_criteria(text: str, span: statements.Span) -> bool:
    """Whether a span stands in the eligibility criteria: a criteria word on its line, an
    eligibility heading above it, or a lead line above its list that says what people must be or
    do."""
    if _CRITERION_CUE.search(text[statements.start_of_line(text, span.start):statements.end_of_line(text, span.end)]):
        return True
    return heading_above(text, span, lines=60) == "eligibility" or _under_a_requirements_lead(text, span)


# Words of criteria, not their look-alikes: "inclusion", "excluded if", but not prose's "including",
# "include" or "exclusively", which would make a whole paragraph read as criteria.
_CRITERION_CUE = re.compile(r"\b(?:in|ex)clus(?:ion|i\u00f3n|ione|\u00e3o)|\b(?:in|ex)cluded if|eligib|criteri|not eligible|"
                            + "|".join(lexicon.criteria_heading_pattern(kind) for kind in ("inclusion", "exclusion")), re.I)


def _names_who_may_enrol(text: str, span: statements.Span) -> bool:
    """A drug or disease named in the eligibility criteria ("prior methotrexate", "diagnosis of
    asthma") says who may enrol, not what the trial gives or studies."""
    return _in_eligibility_criteria(text, span)


def _stated_as_criterion(text: str, span: statements.Span) -> bool:
    """A criterion is one where the page lists criteria (_in_eligibility_criteria). Narrative
    prose elsewhere ("patients with X were enrolled") is not turned into criteria. It starts
    where an item starts (a line, a bullet, a sentence, after a colon): "dementia with Lewy
    bodies" in "... at least one of the following: A, dementia with Lewy bodies, C" is a piece
    of one criterion, not a criterion."""
    return _starts_an_item(text, span) and _in_eligibility_criteria(text, span)


# What may stand before an item on its line: nothing but a bullet or number, or a sentence end,
# colon or separator ("Inclusion Criteria: - Men and women >= 18").
_ITEM_START = re.compile(r"(?:^|[.;:!?]|\s[-\u2013*\u2022])[\s\-\u2013*\u2022\u00b7>]*(?:\(?(?:\d{1,2}|[a-z]|[ivx]{1,4})[.)]\s*)?$", re.I)


# An item number inside a line ("... aged 18 or over 2. Inpatient at a study site"), before a capital.
_INLINE_ITEM_NUMBER = re.compile(r"\s\d{1,2}[.)]\s+$")
# A row number opening the line, bare or glued to the row's text ("1Aged 18 or over", "2 Able to
# give consent"): a numbered table flattened to text.
_ROW_NUMBER = re.compile(r"[ \t]*\d{1,2}[ \t]*")


def _starts_an_item(text: str, span: statements.Span) -> bool:
    before = text[statements.start_of_line(text, span.start):span.start]
    capital = text[span.start:span.start + 1].isupper()
    return bool(_ITEM_START.search(before)) or (
        capital and bool(_INLINE_ITEM_NUMBER.search(before) or _ROW_NUMBER.fullmatch(before)))


def _cut_off_by_the_end(document_text: str, clean: CleanText, span: statements.Span) -> bool:
    """The item runs into the end of a document that was cut mid-sentence (scraped previews
    and dumps often are), so it is not stated whole: nothing but whitespace follows it in the
    document, and it ends on a word that cannot end a phrase ("... minimal residual disease at
    a"), at a cut that left a space and no line end after it, or on the beginning of a word ("The Major
    Depr": "Depr" starts words elsewhere in the text and never stands alone). An item followed
    by page furniture that cleaning removed is not at the document's end."""
    text = clean.text
    stated = text[span.start:span.end].rstrip()
    words = re.findall(r"\w+", stated)
    after = document_text[clean.raw_span(span.start, span.end)[1]:]  # the rest of the document, not of the cleaned text
    if after.strip() or not words or re.search(r"[.!?;:)\]\u3002]$", stated):
        return False
    last = words[-1].lower()
    if last in DANGLING_WORDS or last in ("and", "or") or re.fullmatch(r"[ \t]+", after):
        return True
    lowered = text.lower()
    stands_alone_elsewhere = len(re.findall(rf"(?<!\w){re.escape(last)}(?!\w)", lowered)) > 1
    return not stands_alone_elsewhere and re.search(rf"(?<!\w){re.escape(last)}\w", lowered) is not None


def _stated_as_outcome(text: str, span: statements.Span) -> bool:
    """A measure is an outcome where the page says so: an outcome/endpoint word in its sentence,
    or an outcomes heading above it before any other heading. "The purpose is to compare the overall
    survival" names a measure; it does not state the trial's primary outcome, nor does "the 2-year
    PFS was 45%" in the background sentence before "The primary endpoint is PFS"."""
    if statements.OUTCOME_CUE.search(text[_sentence_start(text, span.start):_sentence_end(text, span.end)]):
        return True
    return heading_above(text, span) == "outcomes"


# A quotation a sentence gives as a name: 'a study titled "X"', 'the trial, entitled "X"', '"X" trial'.
_OPENING_QUOTE, _CLOSING_QUOTE = "\"'\u201c\u2018\u00ab\u300c\u300e", "\"'\u201d\u2019\u00bb\u300d\u300f"
_NAMING_WORDS = re.compile(r"\b(?:titled|entitled|called|named|known as|title)[ \t,:]*$", re.I)
_NAMED_AFTER = re.compile(r"^[ \t]*(?:trial|study)\b", re.I)


def _quoted_as_a_name(text: str, evidence: Evidence) -> bool:
    """The span is the whole of a quotation that the sentence introduces as a name ("titled",
    "entitled", "called") or that names a trial or study right after it."""
    start, end = evidence.start, evidence.end
    while start > 0 and text[start - 1] in _OPENING_QUOTE:
        start -= 1
    while end < len(text) and text[end] in _CLOSING_QUOTE:
        end += 1
    if start == evidence.start or end == evidence.end:
        return False
    return bool(_NAMING_WORDS.search(text[max(0, start - 30):start]) or _NAMED_AFTER.match(text[end:end + 20]))


# A code in brackets, capitals or digits with a digit in it, opening a title's line: "(XY-1234)".
_BRACKETED_CODE_LINE_START = re.compile(r"[(\[](?=[^)\]]*\d)[A-Z0-9][A-Z0-9/._-]{2,20}[)\]]")


def stands_as_a_title(text: str, evidence: Evidence) -> bool:
    """A title stands on a line of its own, or after a label on its line, or is quoted as the
    trial's name; a phrase a model took out of a sentence ("... trial evaluates X for recurrent
    Y.") is no title line."""
    if _quoted_as_a_name(text, evidence):
        return True
    before = text[statements.start_of_line(text, evidence.start):evidence.start].strip()
    after = text[evidence.end:statements.end_of_line(text, evidence.end)].strip(" \t|")
    # before it, a label or the trial's code in brackets ("(XY-1234) Title"); after it, a full stop
    # closing the line, or at most a short bracket or a dash and a short name: "(ABC)", "- ABC"
    return (not before or before.endswith((":", "|")) or bool(_BRACKETED_CODE_LINE_START.fullmatch(before))) and (
        not after or after == "." or bool(re.fullmatch(r"\([^()]{1,40}\)|[-\u2013\u2014|]\s*[^\n]{1,40}", after)))


# "In France, squamous cell carcinomas ... are the 5th most common cancer": a country that opens a
# sentence of background, not a place the trial runs.
_BACKGROUND_COUNTRY = re.compile(r"(?:^|[.!?]\s+|\n\s*)in\s+(?:the\s+)?$", re.I)


# A phone, fax or e-mail beside a country: the country is in someone's contact details.
_CONTACT_DETAIL = re.compile(r"^\s*(?:phone|telephone|tel\.?|fax|e-?mail)\b|\S+@\S+\.\w", re.I)


def _not_stated_as_a_place_of_the_trial(text: str, span: statements.Span) -> bool:
    """A country in a postal address (of a contact or sponsor: the label "Address" within the
    three lines above), among someone's contact details (a phone, fax or e-mail within three
    lines), or opening a sentence of background ("In Indonesia, the prevalence ...")."""
    line_start = statements.start_of_line(text, span.start)
    if _BACKGROUND_COUNTRY.search(text[max(0, line_start - 1):span.start]) and text[span.end:span.end + 1] == ",":
        return True
    above = text[:line_start].rstrip().rsplit("\n", 3)[-3:]
    if any(re.search(r"\baddress\b\s*[:|]?\s*$", line.strip(), re.I) for line in above + [text[line_start:span.start]]):
        return True
    line_end = text.find("\n", span.end)
    below = text[line_end + 1:].split("\n", 3)[:3] if line_end >= 0 else []
    return any(_CONTACT_DETAIL.search(line) for line in above + below)


_TIME_FRAME_CUE = re.compile(r"\d|\b(?:days?|weeks?|months?|years?|hours?|minutes?|baseline|visits?|cycles?|end|follow|"
                             r"post|pre|until|through|up to|after|before|during|period|time|randomi[sz]ation|discharge|"
                             r"admission|surgery|treatment|study|trial|screening|dos(?:e|ing)|infusion|delivery|birth)",
                             re.I)


def names_a_time(time_frame: Any) -> bool:
    """A time frame names a time ("at 12 weeks", "baseline", "until discharge"); a model's other
    words in that slot are not one."""
    return bool(_TIME_FRAME_CUE.search(str(time_frame)))


_ENDS_ON_A_TREATMENT = re.compile(rf"(?<![^\W\d_])(?:{lexicon.TREATMENT_NOUNS})\W*$", re.I)
_CONDITION_LINK = re.compile(rf"(?<![^\W\d_])(?:{lexicon.CONDITION_LINKING_WORDS})(?![^\W\d_])", re.I)


# A registry's condition field may name a population ("Condition: Healthy volunteers"): as labelled, it stands.
_ENDS_ON_A_POPULATION = re.compile(rf"(?<![^\W\d_])(?:{lexicon.POPULATION_NOUNS})\W*$", re.I)
_CONDITION_LABEL = re.compile(r"condition|disease|diagnos|indication|health problem|krankheit|erkrankung|maladie"
                              r"|enfermedad|malattia|patologia|aandoening|\u75be|\u75c5|\uc9c8\ud658", re.I)  # 疾 病 질환


def names_a_population(phrase: str) -> bool:
    """A phrase whose last word names who takes part ("newborn infants", "plasma donors")."""
    return bool(_ENDS_ON_A_POPULATION.search(phrase))


def names_a_treatment(phrase: str) -> bool:
    """A phrase whose last word is a treatment, test or procedure noun, with no linking word before
    it that makes the treatment the cause of a condition ("nausea after surgery")."""
    return bool(_ENDS_ON_A_TREATMENT.search(phrase)) and not _CONDITION_LINK.search(phrase)


# --- a value of its field at all -----------------------------------------------------------------


# Fields (and the key of list items) that name something. A model short of an answer copies
# the page's headings, ids, categories and the trial's acronym into them ("Brief Summary" as the
# sponsor, a trial id as a site, "Experimental" as an arm label); the text does contain those
# words, but not as that field's value.
_NAMING_FIELDS = {"primary_sponsor", "secondary_sponsors", "funders", "collaborators", "acronym",
                  "public_title", "scientific_title", "inclusion_criteria", "exclusion_criteria", "ethics_review"}
_NAMING_KEYS = {"sites": "name", "contacts": "name", "interventions": "name", "arms": "label"}
_ORGANIZATIONS = {"primary_sponsor", "secondary_sponsors", "funders", "collaborators", "sites"}
_CATEGORIES = {
    "experimental", "active comparator", "placebo comparator", "sham comparator", "no intervention", "other",
    "drug", "device", "biological", "procedure", "radiation", "behavioral", "genetic", "dietary supplement",
    "combination product", "diagnostic test", "intervention", "arm", "group",
    "induction", "consolidation", "maintenance", "definitive", "adjuvant", "neoadjuvant",  # treatment phases
}
# ClinicalTrials.gov's funder classes ("Funder Type: Industry"), not organizations.
_FUNDER_CLASSES = {"industry", "other", "us fed", "u s fed", "fed", "other gov", "indiv", "individual", "network",
                   "ambig", "ambiguous", "unknown"}
_ADDRESS = re.compile(r"\S+@\S+\.\w+|(?:https?://|www\.)\S+", re.I)


# What a registry's page calls its own parts: "<registry> registration information", "<registry>
# Clinical Trial Site", "<registry> record".
_REGISTRY_FURNITURE = re.compile(r"\b(?:regist\w*|records?|information|database|site|entry|portal)\b", re.I)


def _names_a_registrys_own_page(text: str) -> bool:
    """A short name that opens with a registry's name and goes on about the registry's record,
    registration or site ("<registry> registration information") is the page's furniture; an
    organization whose name opens with a registry's letters is not."""
    words = text.split()
    for length in (1, 2):
        if len(words) > length and normalize.is_registry_name(" ".join(words[:length])):
            rest = " ".join(words[length:])
            return len(words) <= 6 and bool(_REGISTRY_FURNITURE.search(rest))
    return False


def not_a_value(out: "Grounded", finding: Finding) -> Optional[str]:
    """Why a name-like value is not a value of its field, if it is not."""
    name, value = finding.field, finding.value
    text = value.get(_NAMING_KEYS[name]) if name in _NAMING_KEYS and isinstance(value, dict) else (
        value if name in _NAMING_FIELDS else None)
    if not isinstance(text, str) or not text.strip():
        return None
    text = text.strip()
    if normalize.is_not_stated(text):
        return "a placeholder for a missing value, not a value"
    if _ADDRESS.fullmatch(text):
        return "an e-mail or web address, not a name"
    if name in ("acronym", "public_title", "scientific_title") and text.casefold() in lexicon.language_names():
        return "a language's name (a bilingual page's row tag), not a title"
    if heading_label(text) and not (name == "acronym" and text.isupper()):  # "STATUS" may name a trial
        return "a section heading or field label, not a value"
    label = re.match(r"([^:\uff1a\n]{2,40})[:\uff1a]\s*\S", text)
    if label and (classify_heading(label[1]) or (None, False))[1]:
        return "a field label with its value, not a value"  # "Status: Completed" read as a name
    if name not in ("acronym",) and normalize.is_registry_name(text):
        return "a registry's name, not a value"
    if _names_a_registrys_own_page(text):
        return "the registry's own page furniture (its record, registration or site), not a value"
    ids = normalize.find_registry_ids(text)
    if any(m.end - m.start >= len(text) - 2 for m in ids) or (
            ids and not re.search(r"[^\W\d_]", "".join(text[a.end:b.start] for a, b in zip(ids, ids[1:])) +
                                  text[:ids[0].start] + text[ids[-1].end:])):
        return "a registry id, not a name"  # "ChiCTR2100050545 ; ChiMCTR2100005248" too
    if name in _ORGANIZATIONS and re.search(r"\bet al\b", text, re.I):
        return "a list of authors, not an organization"
    if name in ("arms", "interventions") and re.sub(r"[^a-z ]", "", text.lower()).strip() in _CATEGORIES:
        return "a category, not a name"
    if name in ("arms", "interventions") and _a_sentence(text):
        return "a sentence, not a name"  # a model short of a name copies the page's sentence about it
    if name in ("public_title", "scientific_title") and len(re.findall(r"\b[^\W\d_]{2,}", text)) < 3:
        return "too short to be a title"  # "EudraCT number 2015-001894-4": a label and a number
    if name in ("public_title", "scientific_title") and ids and ids[0].start == 0:
        return "a registry id run into a title, not a title as the page states it"
    if name in _ORGANIZATIONS and " ".join(re.findall(r"[a-z]+", text.lower())) in _FUNDER_CLASSES:
        return "a class of funder, not an organization"
    if name in _ORGANIZATIONS and _ORGANIZATION_WORD.fullmatch(text.strip(" .")):
        return "a kind of organization, not its name"  # a form's "Institute" label read as the sponsor
    acronym = out.values.get("acronym")
    if name in _ORGANIZATIONS and acronym and text.casefold() == str(acronym).strip().casefold():
        return "the trial's acronym, not an organization"
    if name == "contacts" and text.casefold() == str(value.get("affiliation") or "").strip().casefold():
        return "an organization (the contact's own affiliation), not a person"
    if name == "contacts":
        return _not_a_contact(text, value)
    if name == "sites" and text.casefold() in {str(value.get(k) or "").strip().casefold() for k in ("city", "country")}:
        return "a place, not a site"
    if name == "sites" and names_many_sites(text):
        return "many sites (a plural or a count of them), not one site"
    return None


# A site is one place. A phrase that ends on a plural site noun in lower case ("Ruritanian sites",
# "children's hospitals in Ruritania") or counts them ("12 Centres in Ruritania") names many, as a
# story sums them up; a proper name is capitalised, plural or not ("Acme University Hospitals",
# "University Hospitals X Medical Center").
_PLURAL_AT_THE_END = re.compile(
    rf"\b(?:{lexicon.SITE_PLURAL_NOUNS})(?:\s+(?:in|across|throughout|around|worldwide)\b[^,;()]*)?\s*$")
_A_COUNT_OF_SITES = re.compile(rf"\b\d[\d,]*\s+(?:[^\W\d_]+\s+){{0,3}}?(?:{lexicon.SITE_PLURAL_NOUNS})\b", re.I)


def names_many_sites(name: str) -> bool:
    """Whether a site name ends on a plural site noun, or counts sites: a summary of many sites."""
    return bool(_PLURAL_AT_THE_END.search(name) or _A_COUNT_OF_SITES.search(name))


# A name of a treatment or an arm is a noun phrase: a dozen words at most ("Drug X 10 mg once daily
# for use with device Y"). More than MAX_NAME_WORDS words, or several words closing with a sentence's
# stop after a word in lower case ("... twice a day for six weeks."), are a sentence; an abbreviation's
# stop ("Inc.", "Co.") closes no sentence.
MAX_NAME_WORDS = 15


def _a_sentence(text: str) -> bool:
    words = text.split()
    if len(words) > MAX_NAME_WORDS:
        return True
    last = words[-1] if words else ""
    closes = last.endswith((".", "!", "?")) and last[:-1].isalpha() and last[:-1].islower() and len(last) > 3
    return (len(words) >= 5 and closes) or last.endswith(("\u3002", "\uff01", "\uff1f"))  # CJK: 。！？


# A contact is a person, or a named contact desk. An organization is a sponsor or a site; one
# word is no one's full name (a drug, "editorial") unless it is a name written without spaces:
# CJK characters, or pinyin given and family names joined ("ZhangWei"); a byline's reporter
# writes about the trial and is none of its people, nor are a press contact, a company officer or
# a patient the story quotes (by the role given them).
_ORGANIZATION_WORD = re.compile(
    r"\b(?:clinics?|cent(?:er|re)s?|hospitals?|universit(?:y|ies)|institut\w*|department|foundation|compan(?:y|ies)"
    r"|inc|ltd|llc|gmbh|pharma\w*|corporation|laborator(?:y|ies)|college|school|ministry)\b", re.I)
_NAME_WITHOUT_SPACES = re.compile(r"[\u4e00-\u9fff\u3040-\u30ff\uac00-\ud7af]{2,6}|(?:[A-Z][a-z]+){2,4}")
_REPORTER = re.compile(lexicon.REPORTER_WORDS, re.I)
_STORY_PERSON = re.compile(lexicon.STORY_PEOPLE_ROLES, re.I)
_STORY_PATIENT = re.compile(lexicon.STORY_PATIENT_ROLE, re.I)


def _not_a_contact(name: str, item: dict) -> Optional[str]:
    if _ORGANIZATION_WORD.search(name):
        return "an organization, not a contact person"
    if len(name.split()) == 1 and not _NAME_WITHOUT_SPACES.fullmatch(name):
        return "one word, not a person's name"
    if _REPORTER.search(f"{name} {item.get('role') or ''}"):
        return "the news item's reporter, not a person of the trial"
    role = str(item.get("role") or "").strip()
    if _STORY_PERSON.search(role) or _STORY_PATIENT.fullmatch(role):
        return "a press contact, a company officer or a patient the story quotes, not a person of the trial"
    return None


def _names_an_accepted_organization(out: "Grounded", text: str) -> bool:
    """Does `text` name (all its words, or all of theirs) an accepted sponsor, funder or collaborator?
    A small model short of sites lists the sponsor ("Bristol-Myers Squibb") as one."""
    words = set(re.findall(r"\w+", text.casefold()))
    for name in _ORGANIZATIONS - {"sites"}:
        accepted = out.values.get(name)
        for organization in accepted if isinstance(accepted, list) else [accepted]:
            theirs = set(re.findall(r"\w+", str(organization or "").casefold()))
            if theirs and words and (words <= theirs or theirs <= words):
                return True
    return False


# --- the table -----------------------------------------------------------------------------------
# Checks look their predicates up by name when they run, so bench/ablation.py can replace one.


_CJK_CHARACTER = re.compile(lexicon.CJK_CHARACTER)


def _a_phrase(finding: Finding) -> bool:
    # CJK writes a phrase without spaces: a dozen characters are a phrase, not a short name
    value = str(finding.value)
    return len(value.split()) > 3 or len(value) > 30 or len(_CJK_CHARACTER.findall(value)) > 12


def _a_short_name(finding: Finding) -> bool:
    return not _a_phrase(finding)


def _not_by_a_rule(finding: Finding) -> bool:
    return not finding.method.startswith("rule:")


_A_TITLE_LINE = Check(lambda page, span: stands_as_a_title(page.document.text, page.evidence(span)),
                      "a phrase inside a sentence, not a title line")  # a title is never a phrase cut out of prose
_NOT_IN_THE_CRITERIA = Check(lambda page, span: not _names_who_may_enrol(page.text, span),
                             "named only in the eligibility criteria: who may enrol, not what the trial gives")
_AN_OUTCOME = Check(lambda page, span: _stated_as_outcome(page.text, span),
                    "not stated as an outcome (no outcome or endpoint label on its line or above it)")
_CRITERION_REASON = ("not stated as a criterion (no eligibility heading or criteria label above it, "
                     "or a piece of a longer sentence)")
_WHOLE = Check(lambda page, span: not _cut_off_by_the_end(page.document.text, page.clean, span),
               "cut off by the end of the document: not stated whole")

# Field -> the checks, in order, that a span found for its value must pass. A span is only kept
# if every check that applies passes; a field not listed needs no more than a span stating it.
FIELD_CHECKS: dict[str, tuple[Check, ...]] = {
    "primary_sponsor": (
        Check(lambda page, span: _stated_as_sponsor(page.text, span)
              or _COMPANY_NAME.search(page.text[span.start:span.end]),
              "no sponsor, funder or conductor cue on its line or the line above, and not a "
              "company: an organization the page names, not one it names as the sponsor"),
    ),
    # A short name is an acronym wherever it stands as the trial's name; a phrase only where labelled so.
    "acronym": (
        Check(lambda page, span: _under_an_acronym_label(page.text, span),
              "too long for an acronym, and no Acronym label gives it", _a_phrase),
        Check(lambda page, span: not _labelled_as_a_code(page.text, span),
              "stated as a protocol code or study number, not an acronym", _a_short_name),
        Check(lambda page, span: _under_an_acronym_label(page.text, span)
              or not _shaped_like_a_code(page.text[span.start:span.end]),
              "shaped like a code (a run of digits, or digits between letters), and no Acronym "
              "label gives it: a compound's or protocol's code, not the trial's name", _a_short_name),
        Check(lambda page, span: _under_an_acronym_label(page.text, span)
              or _written_as_a_name(page.text[span.start:span.end]),
              "a phrase of ordinary words, not a short name (no Acronym label gives it)", _a_short_name),
        Check(lambda page, span: _named_as_the_trial(page.text, span),
              "not given as the trial's name (no Acronym label, not at a title's end, "
              "not beside 'trial' or 'study', not spelled out): a short name of "
              "something else the page mentions", _a_short_name),
    ),
    "public_title": (
        _A_TITLE_LINE,
        _WHOLE,
        Check(lambda page, span: _under_a_title_label(page.text, span)
              or not _reports_an_event(page.text[span.start:span.end]),
              "a news headline reporting an event (someone announces, begins, receives...), "
              "not the trial's title"),
        Check(lambda page, span: _under_a_title_label(page.text, span)
              or not _calls_for_participants(page.text[span.start:span.end]),
              "a call for participants (an advertisement's line), not the trial's title"),
        Check(lambda page, span: not _NAMED_SCIENTIFIC_TITLE_LABEL.search(label_before(page.text, span)),
              "a scientific or official title label gives it: the scientific title, not the public one"),
        # an official title states the design; a public (brief, lay) title that does says so by its label
        Check(lambda page, span: _under_a_title_label(page.text, span)
              or not describes_its_design(page.text[span.start:span.end]),
              "an unlabelled title that states the design (two of allocation, masking, intervention "
              "model): the scientific title, not the public one"),
        Check(lambda page, span: _under_a_title_label(page.text, span)
              or not statements.reports_news(page.text),
              "an unlabelled title on a page that reports what someone said or announced: the story's "
              "headline, not the trial's title"),
    ),
    "scientific_title": (
        _A_TITLE_LINE,
        _WHOLE,
        Check(lambda page, span: SCIENTIFIC_TITLE_LABEL.search(label_before(page.text, span))
              or describes_its_design(page.text[span.start:span.end]),
              "no official or scientific title label gives it, and it does not state the design"),
    ),
    "interventions": (_NOT_IN_THE_CRITERIA, _WHOLE),
    "arms": (_NOT_IN_THE_CRITERIA, _WHOLE),
    "primary_outcomes": (_AN_OUTCOME, _WHOLE),
    "secondary_outcomes": (_AN_OUTCOME, _WHOLE),
    # Narrative prose ("patients with X were enrolled") reads as inclusion criteria, never as
    # exclusions: an exclusion item need only start an item, wherever the page lists it. Criteria
    # a rule read from the page's own criteria section are where criteria are listed already.
    "inclusion_criteria": (
        Check(lambda page, span: _stated_as_criterion(page.text, span), _CRITERION_REASON, _not_by_a_rule),
        _WHOLE,
    ),
    "exclusion_criteria": (
        Check(lambda page, span: _starts_an_item(page.text, span), _CRITERION_REASON, _not_by_a_rule),
        _WHOLE,
    ),
    "countries": (
        Check(lambda page, span: not _not_stated_as_a_place_of_the_trial(page.text, span),
              "named only in an address, in contact details or in background prose, not as a place the trial runs"),
    ),
    "conditions": (
        Check(lambda page, span: not _not_stated_as_condition(page.text, span),
              "named only in the eligibility criteria or as a condition category, "
              "not as the condition studied"),
        Check(lambda page, span: not names_a_treatment(page.text[span.start:span.end]),
              "names a treatment, test or procedure (what the trial does), not a condition"),
        Check(lambda page, span: _CONDITION_LABEL.search(label_before(page.text, span))
              or not names_a_population(page.text[span.start:span.end]),
              "names who takes part (the population), not a condition, and no condition label gives it"),
        _WHOLE,
    ),
}


def _located(item: dict) -> bool:
    return bool(item.get("city") or item.get("country"))


def _not_the_sponsor_again(out: "Grounded", page: Page, item: dict, spans: list) -> bool:
    return _located(item) or not _names_an_accepted_organization(out, item.get("name") or "")


def _not_only_under_another_role(out: "Grounded", page: Page, item: dict, spans: list) -> bool:
    return not all(_labelled_as_another_role(page.text, span) or _NOT_A_SITE_LABEL.search(label_before(page.text, span))
                   for span in spans)


def _in_contact_details(text: str, span: statements.Span) -> bool:
    """Under a contacts heading that is not also the locations' ("Contacts and Locations"): an
    organization there is where a contact person works, their postal address."""
    label, heading = _heading_line_above(text, span)
    return label == "contacts" and not re.search(r"locat|sites?\b", heading, re.I)


def _named_beyond_contacts_and_criteria(out: "Grounded", page: Page, item: dict, spans: list) -> bool:
    return not all(_in_contact_details(page.text, span) or _in_eligibility_criteria(page.text, span)
                   for span in spans)


def _located_or_stated_as_a_place(out: "Grounded", page: Page, item: dict, spans: list) -> bool:
    return _located(item) or any(_stated_as_a_place(page.text, span) for span in spans)


# Field -> checks on a whole item, judged after its location is checked (a model adds a city
# the page never gives), in order.
ITEM_CHECKS: dict[str, tuple[ItemCheck, ...]] = {
    "sites": (
        ItemCheck(_not_the_sponsor_again, "the sponsor again, with no location: not a site"),
        ItemCheck(_not_only_under_another_role,
                  "labelled as another role (sponsor, responsible party, organization, address): "
                  "not a site"),
        # a site is where the trial runs; a contact's workplace or a criterion's clinic is not stated as one
        ItemCheck(_named_beyond_contacts_and_criteria,
                  "named only in a contact's details or in the eligibility criteria: a person's "
                  "address or who may enrol, not a place the trial runs"),
        ItemCheck(_located_or_stated_as_a_place,
                  "no location, and nothing on its line or the line above says it is a "
                  "place the trial runs: an organization the page names, not a site"),
    ),
}
