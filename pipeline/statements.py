"""Statements: where a trial document states a value of a field, in any language it is written in.

The detectors here are shared by rules (pipeline/rules.py reads labelled dates with the same date
pattern), planning (pipeline/extraction.py asks the model only for fields some statement can
ground, and sends it only the lines holding them) and grounding (a value of a STATEMENT_FIELDS
field is stored only where one of these statements says it). Each detector yields the value a
span states and the span; other languages' wordings come from schemas/lexicon.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

from .records import CleanText
from ..schemas import lexicon, normalize


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def start_of_line(text: str, position: int) -> int:
    """Where the line holding `position` starts."""
    return text.rfind("\n", 0, position) + 1


def end_of_line(text: str, position: int) -> int:
    """Where the line holding `position` ends: its newline, or the end of the text."""
    end = text.find("\n", position)
    return len(text) if end < 0 else end


def line_above(text: str, line_start: int) -> tuple[int, int]:
    """(start, end) of the nearest line with text above the line starting at `line_start`
    (ChiCTR puts a blank line between a label and its value)."""
    end = len(text[:line_start].rstrip())
    return start_of_line(text, end), end


# A number stands apart from Latin-script words ("A1", "3rd" are not counts), but CJK writing puts
# counters and units right against it ("600명", "60名", "18歳").
_NOT_BESIDE = r"0-9A-Za-z_\u00c0-\u024f"
_NUMBER = re.compile(rf"(?<![{_NOT_BESIDE}.])\d{{1,3}}(?:[,\s.]\d{{3}})+(?![{_NOT_BESIDE}])"
                     rf"|(?<![{_NOT_BESIDE}.])\d+(?:\.\d+)?(?![{_NOT_BESIDE}])")


# A scale word after a number multiplies it ("12 mil" = 12,000; "1.2万" = 12,000).
_SCALES = [(re.compile(rf"[ \t\u00a0]+(?:{words})(?![\w])", re.I), scale) for scale, words in lexicon.SCALE_WORDS.items()] + [
    (re.compile(rf"[ \t]?(?:{words})"), scale) for scale, words in lexicon.CJK_SCALE_WORDS.items()]


def numbers(text: str) -> list[tuple[float, Span]]:
    """The numbers a text writes: digits with thousands separators or a decimal part, times the
    scale word after them if any ("12 mil", "1.5 million", "1.2万")."""
    found = []
    for match in _NUMBER.finditer(text):
        raw = re.sub(r"[,\s]", "", match.group())
        end = match.end()
        # the digits after a decimal comma ("1,5 millones") are no number of their own to scale
        after_decimal_comma = re.search(r"\d,$", text[max(0, match.start() - 2):match.start()]) is not None
        scaled = None if after_decimal_comma else next(
            ((scale, word) for words, scale in _SCALES if (word := words.match(text, end))), None)
        if raw.count(".") > 1 or (raw.count(".") == 1 and len(raw.split(".")[1]) == 3):
            raw = raw.replace(".", "")  # 1.200 as a thousands separator
        try:
            value = float(raw)
        except ValueError:
            continue
        if scaled is not None:
            value, end = round(value * scaled[0]), scaled[1].end()
        found.append((value, Span(match.start(), end)))
    return found


_AGE_CONTEXT = re.compile(rf"\b(age|aged|ages|years?|yrs?|old|months?|weeks?|days?|{lexicon.AGE_UNITS})\b|≥|≤|<|>"
                          rf"|{lexicon.CJK_AGE_WORDS}", re.I)
_CJK_AGE_UNIT_AFTER = re.compile(rf"\s*(?:{lexicon.CJK_AGE_UNITS})")


# An age with its unit against the number ("65years old", "aged 40yrs", "18yo"): no number of its own
# to `numbers`, which keeps numbers apart from Latin-script words.
_AGE_WITH_GLUED_UNIT = re.compile(r"(?<![\w.])(\d{1,3})(?=(?:years?|yrs?|yo)\b)", re.I)
# "18 and older", "65 or younger": only an age is older or younger.
_OLDER_OR_YOUNGER_AFTER = re.compile(r"[ \t]+(?:and|or)[ \t]+(?:older|younger)\b", re.I)


def ages(text: str) -> Iterator[tuple[float, Span]]:
    """Numbers said about age, in years."""
    for match in _AGE_WITH_GLUED_UNIT.finditer(text):
        yield float(match.group(1)), Span(match.start(1), match.end(1))
    for number, span in numbers(text):
        if _OTHER_QUANTITY_AFTER.match(text, span.end) or _COUNT_BEFORE.search(text, max(0, span.start - 6), span.start):
            continue  # "65%", "(n=65)": a share or a count, whatever age words are near
        window = text[max(0, span.start - 40): span.end + 25]
        if not (_AGE_CONTEXT.search(window) or _CJK_AGE_UNIT_AFTER.match(text, span.end)
                or _OLDER_OR_YOUNGER_AFTER.match(text, span.end)):
            continue
        after = text[span.end: span.end + 12].lower()
        scale = 1.0
        if "month" in after:
            scale = 12.0
        elif "week" in after:
            scale = 52.0
        elif "day" in after:
            scale = 365.0
        yield number / scale, span


# Which bound an age is, where the words around it say: "18 years and older", "Age > 18",
# UMIN's "18 years-old <=" (18 <= age) and "Minimum Age: 18" state a lower bound;
# "65 or younger", "up to 65", "65 years-old >" and "Maximum Age: 65" an upper one.
_LOWER_AFTER = re.compile(r"[ \t]*(?:years?|yrs?|months?|weeks?|days?)?(?:[- ]old)?[ \t]*(?:<=|<|≤|\+|(?:and|or)[ \t]+(?:older|over|above|more))", re.I)
_UPPER_AFTER = re.compile(r"[ \t]*(?:years?|yrs?|months?|weeks?|days?)?(?:[- ]old)?[ \t]*(?:>=|>|≥|(?:and|or)[ \t]+(?:younger|under|below|less))", re.I)
_LOWER_BEFORE = re.compile(r"(?:>=|>|≥|\b(?:over|above|at least|older than|minimum(?: age)?|age[- ]lower limit)[ \t:|]*)[ \t\n]*$", re.I)
_UPPER_BEFORE = re.compile(r"(?:<=|<|≤|\b(?:under|below|up to|younger than|maximum(?: age)?|age[- ]upper limit)[ \t:|]*)[ \t\n]*$", re.I)


def age_bound(text: str, span: Span) -> Optional[str]:
    """The field an age's own wording makes it: "min_age_years", "max_age_years", or None."""
    before, after = text[max(0, span.start - 30): span.start], text[span.end: span.end + 20]
    if _LOWER_AFTER.match(after) or _LOWER_BEFORE.search(before):
        return "min_age_years"
    if _UPPER_AFTER.match(after) or _UPPER_BEFORE.search(before):
        return "max_age_years"
    return None


def find_age(field_name: str, value: float, text: str) -> Optional[Span]:
    """An age stated as `value` years that its wording does not make the other bound
    (a model copies "18 years and older" into the maximum age too)."""
    return next((span for years, span in ages(text)
                 if abs(years - value) < 0.05 and age_bound(text, span) in (None, field_name)), None)


_ENROLLMENT_CONTEXT = re.compile(
    r"\b(participants?|patients?|subjects?|volunteers?|people|persons|individuals|women|men|children|adults|"
    rf"enrol\w*|recruit\w*|sample size|target size|trial size|accrual|n\s*=|{lexicon.PARTICIPANT_WORDS})\b"
    rf"|{lexicon.SAMPLE_SIZE_LABELS}|{lexicon.CJK_PARTICIPANT_WORDS}", re.I)
_CJK_COUNTER_AFTER = re.compile(rf"\s*(?:{lexicon.CJK_PEOPLE_COUNTERS})")


# A number whose own unit says it is something else: no count of participants, no age.
_OTHER_QUANTITY_AFTER = re.compile(lexicon.OTHER_QUANTITY_UNITS, re.I)
_TIME_AFTER = re.compile(rf"\s*-?(?:years?|yrs?|months?|weeks?|days?|hours?|{lexicon.AGE_UNITS})(?![^\W\d_])"
                         rf"|\s*(?:{lexicon.CJK_AGE_UNITS})", re.I)
_COUNT_BEFORE = re.compile(r"\bn\s*=\s*$", re.I)


def counts_of_participants(text: str) -> Iterator[tuple[float, Span]]:
    """Numbers said about participants on their own line: an enrollment, not any number ("Age > 18"),
    nor a number with a unit of its own ("25 mg", "12 sites", "8 weeks")."""
    for number, span in numbers(text):
        if _OTHER_QUANTITY_AFTER.match(text, span.end) or _TIME_AFTER.match(text, span.end):
            continue
        line_start, line_end = start_of_line(text, span.start), end_of_line(text, span.end)
        window = text[max(line_start, span.start - 60): min(line_end, span.end + 40)]
        if _ENROLLMENT_CONTEXT.search(window) or _CJK_COUNTER_AFTER.match(text, span.end):
            yield number, span


def find_count(value: int, text: str) -> Optional[Span]:
    return next((span for number, span in counts_of_participants(text) if number == value), None)


_DATE = normalize.DATE_IN_TEXT


def dates(text: str) -> Iterator[tuple[str, Span]]:
    for match in _DATE.finditer(text):
        try:
            yield normalize.normalize_partial_date(match.group()), Span(match.start(), match.end())
        except (ValueError, TypeError):
            continue


# What the label just before a date says it is. A date labelled as another kind of date ("Date of
# IRB - 2023 Year 10 Month 10 Day", "Anticipated trial start date - ...") does not state this field,
# even if the value matches; an unlabelled date still may.
DATE_LABELS = {
    "registration_date": r"regist|first (?:submitted|posted|received)",
    "start_date": r"start|first (?:enrol|enroll|patient|participant)",
    "primary_completion_date": r"primary completion",
    "completion_date": r"(?<!primary )completion|end of (?:study|trial)|study end|last follow",
}
# UMIN's "Date of disclosure of the study information" is when the record went public, not a trial date.
_NOT_TRIAL_DATE_LABELS = (r"\birb\b|ethic|approv|protocol fixation|disclos|submission|entered in|last (?:update[ds]?|modified|refreshed|verified|changed)"
                          r"|results? (?:first )?(?:posted|published)|\bupdated\b|\bverified\b")


def labelled_as_another_date(field_name: str, text: str, span: Span, previous_end: int) -> bool:
    line_start = start_of_line(text, span.start)
    if line_start > 0 and not text[line_start:span.start].strip():
        line_start = line_above(text, line_start)[0]  # a date on its own line: its label is the line above
    label = text[max(line_start, previous_end, span.start - 80): span.start].lower()
    if re.search(DATE_LABELS[field_name], label):
        return False
    others = [pattern for name, pattern in DATE_LABELS.items() if name != field_name] + [_NOT_TRIAL_DATE_LABELS]
    return any(re.search(pattern, label) for pattern in others)


def date_statements(field_name: str, text: str) -> Iterator[tuple[str, Span]]:
    """The dates that may state this field: all but those labelled as another kind of date."""
    previous_end = 0
    for date, span in dates(text):
        if not labelled_as_another_date(field_name, text, span, previous_end):
            yield date, span
        previous_end = span.end


# A registration date is a registry's bookkeeping: pages that give it give it under its label
# ("Date registered", "First posted", "注册时间", "登録日"). An unlabelled date on a trial's page is a
# news item's dateline, the page's own creation or update date or a date in the story, so a value
# of this field is accepted only where its label stands before it. (The other dates of a trial
# are also stated in prose: "enrolment began in March 2020".)
#
# A primary completion date is the same kind of bookkeeping: a registry's field (when the last
# participant is examined for the primary outcome), which prose and news do not give; an unlabelled
# date on a page is some other date ("results are expected in June 2024"). Its label in the
# registries' languages: "Primary Completion", "PCD", "Fecha de finalización primaria", "主要完成日期".
OWN_LABEL_REQUIRED = {
    "registration_date": DATE_LABELS["registration_date"] + r"|\u6ce8\u518c|\u767b\u8a18|\u767b\u9332|\u767b\u8bb0|\ub4f1\ub85d",
    "primary_completion_date": DATE_LABELS["primary_completion_date"] + r"|\bpcd\b|finalizaci\u00f3n primaria"
                               r"|ach\u00e8vement primaire|prim\u00e4r\w* abschluss|\u4e3b\u8981\u5b8c\u6210|\u4e3b\u8981\u5b8c\u4e86"
                               r"|\uc8fc\uc694\s*\uc644\ub8cc",
}


def labelled_as_this_date(field_name: str, text: str, span: Span) -> bool:
    line_start = start_of_line(text, span.start)
    if line_start > 0 and not re.search(r"[^\W\d_]", text[line_start:span.start]):
        line_start = line_above(text, line_start)[0]  # a date with no words before it: its label is the line above
    return bool(re.search(OWN_LABEL_REQUIRED[field_name], text[max(line_start, span.start - 80):span.start], re.I))


def find_date(field_name: str, value: str, text: str) -> Optional[Span]:
    return next((span for date, span in date_statements(field_name, text) if date == value and (
        field_name not in OWN_LABEL_REQUIRED or labelled_as_this_date(field_name, text, span))), None)


# Surface forms that can state each enum value; the schema's own normalizer has the last word.
ENUM_PATTERNS: dict[str, str] = {
    # Roman numerals longest first, each ending there: "Phase IV" is phase 4, not "Phase I" and a "V".
    "phases": rf"(?:{lexicon.PHASE_WORDS})[\s:-]*(?:[0-4]|iv|i{{1,3}}|n/?a|not applicable|early phase\s*1)[ab]?(?![a-z0-9])"
              r"(?:\s*[/&-]\s*(?:phase\s*)?(?:[1-4]|iv|i{1,3})(?![a-z0-9]))?|early phase\s*(?:1|i)|not applicable|\bn/a\b"
              # the numeral before the word, as Slavic languages write it: "II fazy", "III фаза"
              rf"|(?<![\w/.]){normalize.NUMERAL_BEFORE_PHASE_WORD}"
              # CJK: "III期临床" (期 alone is also a cancer stage), "第3相", "3상", "Ⅱ/Ⅲ期临床"
              rf"|{normalize.CJK_PHASE}",
    # the registries' own status vocabularies (the normaliser maps each): longer wordings first
    "recruitment_status": r"recruiting (?:ongoing|planned|complete, study (?:complete|continuing)|stopped after recruiting started"
                          r"|withdrawn before recruiting started|suspended on temporary hold)"
                          r"|closed: follow-up (?:complete|continuing)|closed to recruitment of participants|open to recruitment"
                          r"|not recruiting yet|stopped early|temporarily halted|prematurely ended|suspending"
                          r"|not yet recruiting|(?<!not )(?<!stop )(?<!stopped )recruiting(?! status)|enrolling by invitation|active,? not recruiting|active \(not recruiting\)|suspended|terminated|completed|withdrawn|open public recruiting|preinitiation|no longer recruiting|unknown status|main results already published",
    "study_type": r"interventional|observational|expanded access",
    "allocation": r"non-?randomi[sz]ed|randomi[sz]ed|randomi[sz]es?\b|randomly (?:assigned|allocated)|single[- ]arm"
                  r"|allocation\W{0,4}n/?a\b",
    "masking": r"open\s*-\s*no one is blinded|no masking|unblinded|not blinded|open[- ]label|none \(open label\)|single[- ]blind(?:ed)?|double[- ]blind(?:ed)?|triple[- ]blind(?:ed)?|quadruple[- ]blind(?:ed)?|(?:masking|blinding):?\s*(?:none|open|single|double|triple|quadruple)\b",
    "intervention_model": r"single group(?: assignment)?|single[- ]arm|parallel(?: assignment| group)?|crossover(?: assignment)?|cross-over|factorial(?: assignment)?|sequential(?: assignment)?",
    # words, not parts of words: "men" is in "treatment", "male" in "female"
    # "all" and "both" answer a sex label; in prose they are about anything ("both groups")
    "sex": r"\b(?:(?:fe)?males? (?:and|or) (?:fe)?males?|(?:wo)?men (?:and|or) (?:wo)?men"
           r"|(?:either|any|both|all) (?:sex|sexes|gender|genders)|females?|males?|women|men)\b"
           r"|(?:(?<=sex:)|(?<=gender:)|(?<=sexes eligible for study:))\s*(?:all|both)\b",
    "ipd_sharing": r"(?:ipd|individual participant data|plan to share)[^\n]{0,60}?\b(?:yes|no|undecided)\b",
}

_ENUM_SYNONYMS: dict[str, Callable[[str], Any]] = {
    "phases": normalize.normalize_phases,
    "recruitment_status": normalize.normalize_recruitment_status,
    "study_type": normalize.normalize_study_type,
    "allocation": normalize.normalize_allocation,
    "masking": normalize.normalize_masking,
    "intervention_model": normalize.normalize_intervention_model,
    "sex": normalize.normalize_sex,
    "ipd_sharing": normalize.normalize_ipd_sharing,
}

_SURFACE_FIXUPS = {
    "single-arm": "Single Group Assignment", "single arm": "Single Group Assignment",
}


def enum_value_of(field_name: str, surface: str) -> Any:
    surface = lexicon.english_wording(field_name, surface.strip())
    surface = _SURFACE_FIXUPS.get(surface.lower(), surface)
    if field_name == "allocation" and ("single" in surface.lower() or surface.lower().startswith("allocation")):
        return "NA"  # a single arm, or "Allocation: N/A"
    if field_name == "allocation" and re.fullmatch(r"randomi[sz]es?|randomly \w+", surface, re.I):
        return "RANDOMIZED"  # "will randomize", "randomly assigned"
    if field_name == "masking" and re.match(r"masking|blinding", surface, re.I):
        surface = re.sub(r"^(?:masking|blinding):?\s*", "", surface, flags=re.I)
        surface = "None" if surface.lower() == "open" else surface  # "Blinding: Open"
    if field_name == "phases":
        surface = re.sub(r"^phase[\s:-]+(?=not applicable|n/?a\b)", "", surface, flags=re.I)  # "Phase: N/A"
    if field_name == "ipd_sharing":
        surface = re.findall(r"yes|no|undecided", surface, re.I)[-1]
    if field_name == "masking":
        try:
            return normalize.normalize_masking(surface)  # "Not blinded", "Open -no one is blinded"
        except ValueError:
            surface = re.sub(r"[- ]blind(?:ed)?", "", surface, flags=re.I)  # "double-blind" -> "double"
    return _ENUM_SYNONYMS[field_name](surface)


# Each enum's wordings in prose and other languages (schemas/lexicon.py), then its registry labels.
_ENUM_STATEMENT = {name: re.compile("|".join(filter(None, (lexicon.enum_forms_pattern(name), pattern))), re.I)
                   for name, pattern in ENUM_PATTERNS.items()}


def enum_statements(field_name: str, text: str) -> Iterator[tuple[Any, Span]]:
    for match in _ENUM_STATEMENT[field_name].finditer(text):
        try:
            yield enum_value_of(field_name, match.group()), Span(match.start(), match.end())
        except (ValueError, TypeError, IndexError):
            continue


def find_enum(field_name: str, value: Any, text: str) -> Optional[Span]:
    wanted = value if isinstance(value, str) else None
    for stated, span in enum_statements(field_name, text):
        if field_name == "phases":
            if wanted in (stated or []):
                return span
        elif stated == wanted:
            return span
    return None


# An answer to a healthy-volunteers label ("Healthy volunteers accepted: No", "Can healthy
# volunteers participate?: Yes", the label's line then "Yes"), a negation, or a badge that is
# itself the answer ("Accepts healthy volunteers" with no answer after it).
_ANSWER = r"(yes|no|true|false|t|f|accepted|not accepted)\b"
_HEALTHY_VOLUNTEERS = re.compile(
    rf"healthy volunteers?[^\n:?]{{0,40}}?(?:[:?]|\s-)[\s:?-]*{_ANSWER}"
    rf"|healthy volunteers?(?: accepted)?[ \t]*\n\s*{_ANSWER}"
    # a table flattened to one line: the label, spaces, the answer ending the line
    rf"|healthy volunteers?(?: accepted)?[ \t]+{_ANSWER}(?=[ \t]*(?:\n|\Z))"
    r"|\b(no|does not accept|not accepting) healthy volunteers\b"
    r"|\b(?:accepts|accepting) healthy volunteers\b(?![^\n]{0,40}[:?]|\s*\n\s*(?:yes|no)\b|[ \t]+(?:yes|no)\b)"
    r"|\bhealthy volunteers? accepted\b(?![^\n]{0,40}[:?]|\s*\n\s*(?:yes|no)\b)"
    r"|participant type\(?s?\)?[\s:]*(?:[^\n]{0,40}\W)?healthy volunteers?\b", re.I)
# A trial whose population is healthy people accepts healthy volunteers: "a study in healthy
# volunteers", "enrolling 40 healthy adults", "Condition: Healthy". Healthy controls compared with
# patients are not the trial's population, so "healthy controls" says nothing.
_HEALTHY_PEOPLE = (r"(?:volunteers?|subjects?|participants?|adults?|individuals?|men|women|males|females|infants"
                   r"|children|people|persons)\b")
_HEALTHY_POPULATION = re.compile(
    r"\b(?:in|of|among|enrol\w*|recruit\w*|randomi[sz]\w*|vaccinat\w*|dosing|dosed)\s+(?:\d[\d,]*\s+)?healthy\s+"
    rf"(?:[a-z-]+\s+){{0,2}}?{_HEALTHY_PEOPLE}"  # "healthy older adults", "healthy Japanese male subjects"
    # a count or an ordinal of them says who takes part: "60 healthy adults", "the first healthy
    # participant" (not "20 healthy control subjects", compared with patients)
    rf"|(?:\b\d[\d,]*|\bfirst)\s+healthy\s+(?:(?!controls?\b)[a-z-]+\s+){{0,2}}?{_HEALTHY_PEOPLE}"
    r"|\bconditions?\s*:?\s*healthy\b(?!\s+controls?)"
    rf"|{lexicon.HEALTHY_POPULATION_PHRASES}", re.I)


# A yes or no right after a phrase naming healthy people, ending its line or clause, answers a
# field that phrase labels; in prose the phrase is followed by more words ("in healthy volunteers no
# serious events ...").
_ANSWER_AFTER_LABEL = re.compile(
    rf"[ \t]*[:?]?[ \t]*(?:\n[ \t]*)?({lexicon.YES_ANSWERS}|{lexicon.NO_ANSWERS})(?![^\W\d_])(?=[ \t]*(?:[.;,)\n]|\Z))", re.I)


def _says_yes(answer: str) -> bool:
    """A form's answer, in any of the pages' languages, or a bare "t" (a database export's true)."""
    return answer.lower() == "t" or re.fullmatch(lexicon.YES_ANSWERS, answer, re.I) is not None


def healthy_statements(text: str) -> Iterator[tuple[bool, Span]]:
    """'Healthy volunteers: Yes', 'Accepts healthy volunteers: No', 'No Healthy Volunteers', and a
    healthy study population ('a study in healthy volunteers')."""
    for match in _HEALTHY_VOLUNTEERS.finditer(text):
        answer = next((group for group in match.groups() if group), "accepted")
        yield _says_yes(answer), Span(match.start(), match.end())
    for match in _HEALTHY_POPULATION.finditer(text):
        answer = _ANSWER_AFTER_LABEL.match(text, match.end())
        if answer:  # "Gesunde Probanden: nein": the phrase labels a field, and its answer is the statement
            yield _says_yes(answer.group(1)), Span(match.start(), answer.end())
        else:
            yield True, Span(match.start(), match.end())


def find_healthy(value: bool, text: str) -> Optional[Span]:
    return next((span for stated, span in healthy_statements(text) if stated == value), None)


# The population a trial enrols, named by one sex: "in women with migraine", "enrolling 640 women,
# aged 18 to 45", "in about 60 male subjects aged 5 to 9", "in boys aged 6 to 12". The phrase needs
# what follows a population (with, aged, between, a number): "1 in 8 men will ..." and "women who
# are pregnant" (a criterion of a trial open to both sexes) are not it.
_ONE_SEX_NOUN = r"(?P<sex>women|men|girls|boys|(?P<adjective>(?:fe)?male)(?:\s+(?!(?:and|or|(?:fe)?male)\b)[a-z-]+){0,3}?" \
                r"\s+(?:patients|subjects|participants|volunteers|adults|children|infants))"
_ONE_SEX_POPULATION = re.compile(
    r"\b(?:in|enrol\w*|recruit\w*|includ(?:e|es|ed|ing)|among)\s+"
    r"(?:(?:up to|approximately|about|around|some|over|more than|nearly|at least)\s+)?(?:\d[\d,]*\s+)?"
    r"(?:(?!(?:and|or|the|a|an|patients|subjects)\b)[a-z-]+\s+){0,2}?"  # "postmenopausal women", "healthy male volunteers"
    + _ONE_SEX_NOUN + r",?\s+(?=with\b|aged?\b|ages\b|between\b|from\s+\d|who\s+have\b|\d)", re.I)


def population_sex_statements(text: str) -> Iterator[tuple[str, Span]]:
    """'in women with ...', 'enrolling 640 women, aged ...': the sex of the population a trial
    enrols, where a phrase names one sex as that population."""
    for match in _ONE_SEX_POPULATION.finditer(text):
        word = (match.group("adjective") or match.group("sex")).lower()
        yield ("FEMALE" if word in ("women", "girls", "female") else "MALE"), Span(match.start("sex"), match.end("sex"))


# A field whose role the text never names cannot be stated: a page that never says "fund",
# "grant" or "support" names no funder, whatever organizations it mentions. Checked against the
# gold set: no labelled value is in a field these words rule out (tests/test_gold.py).
ROLE_WORDS = {
    "inclusion_criteria": rf"inclu|eligib|criteri|{lexicon.criteria_heading_pattern('inclusion')}",
    "exclusion_criteria": r"exclu|not eligible|(?<![-\w])ineligib"  # not "surgery-ineligible", a criterion
                          rf"|{lexicon.criteria_heading_pattern('exclusion')}",
    "secondary_outcomes": r"secondary",
    "funders": r"fund|grant|financ|support",
    "collaborators": r"collaborat|partner|cooperat|conjunction|consorti",
    "secondary_sponsors": r"sponsor",
    "ethics_review": r"ethic|\birb\b|review board|committee",
    # a person in a trial role: investigators, contact persons, registrants and applicants,
    # whoever "leads the study"
    "contacts": r"contact|investigator|@|phone|\btel\b|director|chair|\bpi\b|principal|registrant|applicant"
                r"|study leader|coordinator|\bled by\b|\blead(?:s|ing)? the (?:study|trial|research)"
                rf"|{lexicon.CONTACT_ROLE_WORDS}",
}


def role_spans(field_name: str, text: str) -> list[tuple[int, int]]:
    """(start, end) of every word in `text` naming the role of a ROLE_WORDS field."""
    return [match.span() for match in re.finditer(ROLE_WORDS[field_name], text, re.I)]


# A short name a page gives its trial: a word written as a name (two capitals, or a digit) right
# before or after a word for the study or trial ("the ABC study", "ABC-2 trial", "Studie ABC").
# Candidates only: a disease's or agency's abbreviation stands there too, so the model is asked and
# grounding's acronym checks judge the answer.
_NAME_WORD = r"[A-Z][\w-]{1,19}"
_PHASE_NUMERAL = re.compile(r"(?:I{1,3}|IV)[ab]?(?:/(?:I{1,3}|IV)[ab]?)?")
_TRIAL_NAMES = (  # the name before the word ("the ABC study"), and after it ("Studie ABC"): two scans,
    # as one word may be both a name's trial word and the next name's ("Clinical Trial ABC-2")
    re.compile(rf"(?<![\w-])(?P<name>{_NAME_WORD})[\s-]+(?i:(?:research |clinical )?(?:{lexicon.TRIAL_WORDS}))(?!\w)"),
    re.compile(rf"(?<!\w)(?i:{lexicon.TRIAL_WORDS})\s+(?P<name>{_NAME_WORD})(?![\w-])"),
)


def trial_name_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every short name written beside a word for the trial (see _TRIAL_NAMES)."""
    spans = []
    for pattern in _TRIAL_NAMES:
        for match in pattern.finditer(text):
            name = match.group("name")
            if _PHASE_NUMERAL.fullmatch(name) or normalize.is_registry_name(name.split("-")[0]):
                continue  # "Phase II trial", "UMIN Clinical Trials Registry": a phase's, a registry's
            if sum(char.isupper() for char in name) >= 2 or any(char.isdigit() for char in name):
                spans.append(match.span("name"))
    return sorted(spans)


DATE_FIELDS = {"registration_date", "start_date", "primary_completion_date", "completion_date"}

# Fields grounding accepts only where one of its detectors finds a statement: an enum's wording,
# a date, an age, a count of participants, a healthy-volunteers answer.
STATEMENT_FIELDS = frozenset(ENUM_PATTERNS) | DATE_FIELDS | {
    "min_age_years", "max_age_years", "target_enrollment", "healthy_volunteers"}


def statement_spans(field_name: str, text: str) -> list[tuple[int, int]]:
    """(start, end) of every statement in `text` that grounding could accept a value of a
    STATEMENT_FIELDS field from. A value found nowhere else cannot be stored."""
    return [(span.start, span.end) for span in statements_of(field_name, text)]


def statements_of(field_name: str, text: str) -> Iterator[Span]:
    if field_name in ENUM_PATTERNS:
        found = ((value, span) for value, span in enum_statements(field_name, text) if value)
    elif field_name in DATE_FIELDS:
        found = date_statements(field_name, text)
    elif field_name in ("min_age_years", "max_age_years"):
        found = ages(text)
    elif field_name == "target_enrollment":
        found = counts_of_participants(text)
    elif field_name == "healthy_volunteers":
        found = healthy_statements(text)
    else:
        raise KeyError(f"{field_name} is not grounded from detected statements")
    return (span for _, span in found)


def unstatable_fields(clean: CleanText) -> set[str]:
    """Fields of which the text states no value in any form grounding accepts: the
    STATEMENT_FIELDS it holds no statement of, outcomes with no outcome word, and the fields
    of ROLE_WORDS whose role it never names. A model asked for them can only answer null or
    a value that is not a fact, so extraction does not ask (fewer tokens, and nothing to
    invent). Titles, conditions, sponsors, interventions, arms and sites are always statable."""
    text = clean.text
    # The first statement settles it: scanning for all of them cost ~3 ms a page.
    unstatable = {name for name in STATEMENT_FIELDS if next(statements_of(name, text), None) is None}
    if not OUTCOME_CUE.search(text):
        unstatable |= OUTCOME_FIELDS  # grounding accepts only outcomes stated as outcomes
    unstatable |= {name for name, words in ROLE_WORDS.items() if not re.search(words, text, re.I)}
    return unstatable


# A reporting verb standing as a word of its own (Latin, Cyrillic, Greek scripts) or written in a
# script without spaces between words.
_REPORTING = re.compile(
    rf"(?<![^\W\d_])(?:{lexicon.REPORTING_VERBS})(?![^\W\d_])|{lexicon.SCRIPT_REPORTING_VERBS}", re.I)


def reports_news(text: str) -> bool:
    """Whether the text reports what someone said or announced: a story about a trial (news, a
    press release), not a record or listing of one."""
    return _REPORTING.search(text) is not None


OUTCOME_FIELDS = {"primary_outcomes", "secondary_outcomes"}
OUTCOME_CUE = re.compile(r"outcome|endpoint|end[- ]point|measure|time frame", re.I)
