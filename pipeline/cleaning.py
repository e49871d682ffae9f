"""Drop page boilerplate from a document's plain text, keeping an exact map back to it.

Aggregator pages are half noise (sign-up forms, FAQs about clinical trials in
general, "similar trials", lorem ipsum, share buttons, cookie banners), and
general-purpose extractors fail on plain text, so this is a small line
classifier. Each line is kept or dropped as a whole; the cleaned text is the
kept lines, each a slice of Document.text (CleanText.segments), and every
dropped stretch is a RemovedBlock with its reason.

How a line is judged, in order:

1. Blank lines: runs are collapsed to one blank line ("blank-run").
2. Known boilerplate (the _PHRASES table): always dropped, even on registry
   pages ("boilerplate-phrase:<category>", "ui-text", "lorem-ipsum"). Some of
   these open a block (an FAQ, a contact form, "Similar trials", a notes
   widget): the lines after them go too, until a section heading or a line
   that carries a trial fact.
3. Protection: a line carrying a trial fact (an id, a date, a number with a
   unit, a phase, an age or comparison, an e-mail or phone number, a trial
   label with its value), a section heading, a bare label ("Target sample
   size") and the value line after it are never dropped by the rules below.
4. Shape rules, off on registry pages: short lines made only of button
   words, "Field*" form labels, "<name> logo" alt texts ("ui-text"), and a
   long line repeating the line just before it ("duplicate-line").
5. With a SiteProfile: lines that repeat across documents of the same site
   ("repeated-across-site"); inside trial-content sections only lines that
   every page of the site has (see SiteProfile.drops).

6. On UMIN-CTR pages: form fields left empty, a label followed straight
   away by the next label ("empty-field").
7. On records kept in two languages (each field labelled in the local
   script and in English): a value's local-script copy where the field
   also gives its English value ("other-language-copy").

Registry pages (Document.kind "registry", or kind unknown and the page is
dense with labels) get steps 1, 2 (without blocks), 5, 6 and 7 only.

Everything is one pass over the lines with simple, non-backtracking
patterns, and long lines skip the phrase table, so cleaning time grows
linearly with the text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urlsplit

from .records import CleanText, Document, RemovedBlock
from .sections import classify_heading, heading_label
from ..schemas import lexicon
from ..schemas.normalize import find_registry_ids

# Lines longer than this are prose: only the lorem-ipsum check and fact
# detection look at them (keeps the phrase table cheap and linear).
_MAX_PHRASE_LINE_CHARS = 600
# Longer lines are not scanned for facts: they count as content (see carries_fact).
_MAX_FACT_LINE_CHARS = 5000
# A repeated or duplicated line must be at least this long to be dropped:
# shorter repeated lines are mostly labels and values ("Phase 2", "Female").
_MIN_REPEATED_WORDS = 4
_MIN_DUPLICATE_CHARS = 40
# Sections that hold trial content: there a repeated line may be a criterion or
# an outcome that sister trials share, so the repeat rules hold back.
_CONTENT_SECTIONS = {"design", "interventions", "eligibility", "outcomes", "sponsors",
                     "contacts", "locations"}

_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_BULLETS = " \t•·▪◦●■□*-–—>"


# --- The boilerplate table ---------------------------------------------------
# (category, where, pattern, opens_block), matched against the line's folded
# form (see _folded): "start" patterns at the start of the line (most of them
# cover the whole line), "anywhere" patterns anywhere in it. Categories become
# "boilerplate-phrase:<category>"; "ui-text" is its own reason. Entries win
# over facts, so keep them specific.
_START, _ANYWHERE = "start", "anywhere"
_PHRASES: tuple[tuple[str, str, str, bool], ...] = (
    # FAQ blocks about clinical trials in general.
    ("faq", _START, r"(faqs?|frequently asked questions|learn more about clinical trials)$", True),
    ("faq", _START, r"(what|why|how|do|does|can|will|who|where|when|is|are|should)\b[^?]{0,100}"
                    r"\b(a clinical trial|clinical trials|a trial|trials)\b[^?]{0,60}\?$", True),
    # Contact forms and "how to participate" flows.
    ("contact-form", _START, r"(send a message|you are contacting|how to participate\??)$", True),
    ("contact-form", _START, r"step \d+\s+(get in touch|connect) with\b", True),
    ("contact-form", _START, r"enter your contact details\b", True),
    ("contact-form", _START, r"(investigator avatar|other languages? supported:?|other language)$", False),
    ("contact-form", _START, r"(first name|last name|full name|name|e-?mail|email address|phone|"
                             r"phone number|mobile|zip code|postal code|city|country|message|"
                             r"date of birth|password)\s?\*$", False),
    ("contact-form", _START, r"(additional screening procedures may be conducted by the study team"
                             r"|if you are confirmed eligible after full screening"
                             r"|complete your scheduled study participation activities)", False),
    ("contact-form", _ANYWHERE, r"we have submitted the contact information you provided"
                                r"|you can expect the study team to contact you", False),
    # Sign-up and notification prompts.
    ("sign-up", _START, r"(sign up( now| for free| as (a )?volunteer)?[.!]?$|subscribe to (our )?newsletter)",
     False),
    ("sign-up", _ANYWHERE, r"\bsign up (for|as) (a )?(volunteer|patient notification|our newsletter|"
                           r"email alerts?|updates)|would you like to be notified about other trials"
                           r"|receive email notifications when clinical trials are posted", False),
    # Other trials.
    ("similar-trials", _START, r"((similar|related) (clinical )?(trials|studies)( to consider)?"
                               r"|browse trials( for)?|other trials you may (be interested in|like))$", True),
    ("similar-trials", _START, r"not finding what you('|’)re looking for\?$", False),
    # Notes and sharing widgets.
    ("private-note", _START, r"add a private note$", True),
    ("private-note", _START, r"((abc )?select a piece of text\b|add notes visible only to you"
                             r"|no annotations made yet$|user name$|(added|reply) by\b.{0,20}$)", False),
    ("passcode", _ANYWHERE, r"passcode (protected link|will expire)", False),
    ("share", _START, r"(share( this( trial| study| page)?)?( on)?:?"
                      r"|((share|tweet|post) on )?(facebook|twitter|linkedin|whatsapp|x)"
                      r"( (facebook|twitter|linkedin|whatsapp|email|x))*)$", False),
    ("cookies", _ANYWHERE, r"\b(we use cookies|this (web)?site uses cookies|accept (all )?cookies|"
                           r"cookie (settings|policy|preferences))\b", False),
    ("powered-by-ai", _START, r"(powered by ai|ai[- ]generated summary)\b", False),
    # Text addressed to a model (prompt injection): the model never sees it, and grounding,
    # which searches the cleaned text, cannot take a value from it.
    ("instructions-to-model", _ANYWHERE, r"\b(ignore|disregard|forget|override)\b.{0,40}\b(previous|prior|above|"
                                         r"earlier|all|any|your|the|system)\b.{0,30}\b(instructions?|prompts?)\b"
                                         r"|\b(system prompt|new instructions?:|(note|message|instructions?) (to|for)"
                                         r" (the )?(ai|llm|language model|model|assistant|chatbot)s?\b)", False),
    # ... in other languages, in chat-template markup, or as a turn of a chat transcript.
    ("instructions-to-model", _ANYWHERE, r"\bignore[zr]?\b.{0,40}\binstructions?\b|\bignorier\w*\b.{0,40}\banweisung"
                                         r"|\bignor[ae]\w*\b.{0,40}\binstruc(ciones|ções|cao|ção|ciones)"
                                         r"|忽略.{0,15}(指令|指示|提示|说明)|無視.{0,15}(指示|命令)"
                                         r"|<\|im_(start|end)\|>|\[/?inst\]|<</?sys>>", False),
    ("instructions-to-model", _START, r"(#+ ?)?(assistant|system|ai|chatgpt|gpt(-?\d+\w*)?|llm|claude|chatbot)"
                                      r"( (prompt|message|note|instruction))?\s*:|#+ ?(instruction|response)\b", False),
    ("attribution", _START, r"(this content was sourced from|disclaimer: curated by)\b", False),
    # Registry site chrome: disclaimers, banners, menus of ClinicalTrials.gov,
    # UMIN and the EU Clinical Trials Register.
    ("site-chrome", _ANYWHERE, r"the safety and scientific validity of this study is the responsibility"
                               r"|modernized clinicaltrials\.gov"
                               r"|this page includes information on clinical trials registered in umin"
                               r"|clinical trials register allows you to search", False),
    ("site-chrome", _START, r"(clinicaltrials\.gov menu\b|(say goodbye to|don't get left behind!).{0,40}"
                            r"clinicaltrials\.gov|we're building a better clinicaltrials\.gov"
                            r"|this site became the new clinicaltrials\.gov"
                            r"|covid-19 is an emerging, rapidly evolving situation"
                            r"|get the latest (public health|research) information from"
                            r"|(previous study \| return to list \| next study|tabular view"
                            r"|how to read a study record|disclaimer)$"
                            r"|we don't aim to advertise certain products|umin-ctr english home\b)", False),
    ("site-chrome", _START, r"(flag of the european union\b"
                            r"|interventional clinical trials that were approved in the european union"
                            r"|clinical trials conducted outside the eu/eea that are linked"
                            r"|eu/eea interventional clinical trials approved under"
                            r"|clinical trials information system \(ctis\)\.?$"
                            r"|the eu clinical trials register currently displays"
                            r"|phase 1 trials conducted solely on adults and that are not part"
                            r"|examples: cancer and drug name|how to search \[pdf\]$|search tips:"
                            r"|advanced search: search tools$|< back to search results$)", False),
    # Buttons and widgets that are never content.
    ("ui-text", _START, r"(image|view|menu|download|download pdf|print download|print|back top|back to top|"
                        r"learn more|read more|show more|show less|see more|view more|give us feedback|"
                        r"working(…|\.\.\.)?|yes no not sure|clear my responses|what happens next\?)"
                        r"[.:]?$", False),
    ("ui-text", _START, r"!\[[^\]]*\]\([^)]*\)\s*\|?$", False),
    ("ui-text", _ANYWHERE, r"\{\{[a-z_]+\}\}", False),  # an unfilled template placeholder
)
_COMPILED_PHRASES = tuple(
    (category, where, re.compile(pattern), opens_block)
    for category, where, pattern, opens_block in _PHRASES
)
# Prefilters: one match / one search tells whether any entry applies; the
# table is then walked in order only for the few lines that hit.
_ANY_AT_START = re.compile("|".join(f"(?:{p})" for _, where, p, _ in _PHRASES if where == _START))
_ANY_ANYWHERE = re.compile("|".join(f"(?:{p})" for _, where, p, _ in _PHRASES if where == _ANYWHERE))
# Text addressed to a model, for instructions wrapped over several lines (_addressed_to_model).
_TO_MODEL = re.compile("|".join(f"(?:{p})" for category, where, p, _ in _PHRASES
                                if category == "instructions-to-model" and where == _ANYWHERE))
_ROLE_TURN = re.compile("|".join(f"(?:{p})" for category, where, p, _ in _PHRASES
                                 if category == "instructions-to-model" and where == _START))

# Words of buttons and navigation; a short line made only of these is UI text.
_UI_WORDS = frozenset(
    "sign up in out log login logout register subscribe learn read more less show hide view all "
    "see share print download pdf menu back to top next previous prev submit send clear close "
    "save tweet copy link home search help feedback give us expand collapse cancel ok continue "
    "accept decline reject click here tap".split()
)
_UI_ACTIONS = frozenset(
    "sign log login register subscribe learn read show hide view see share print download submit "
    "send clear close save tweet copy search expand collapse cancel continue accept decline "
    "reject click tap".split()
)
_LIST_ITEM = re.compile(r"[•·▪◦●■□*–—-]|\(?(\d{1,3}|[a-z])[.)]\s|\|")
_ASTERISK_LABEL = re.compile(r"[^\W\d_][\w .'/()-]{0,40}\*")
_LOGO_ALT = re.compile(r"(\S+ ){0,3}logo")

# --- What counts as a trial fact -----------------------------------------------
_MONTHS = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(
    rf"\b\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}\b|\b\d{{1,2}}[-/.]\d{{1,2}}[-/.]\d{{2,4}}\b"
    rf"|\b{_MONTHS}\s+(\d{{1,2}}(st|nd|rd|th)?,?\s+)?\d{{4}}\b|\b\d{{1,2}}\s*{_MONTHS},?\s+\d{{4}}\b"
    rf"|\b\d{{4}}\s*year\b",
    re.IGNORECASE,
)
_QUANTITY = re.compile(
    r"\d\s*(years?|yrs?|y/o|months?|weeks?|wks?|days?|hours?|hrs?|minutes?|mins?|"
    r"mg|µg|μg|mcg|g|kg|ml|l|gy|cgy|iu|units?|%|percent|participants?|patients?|subjects?|"
    r"people|persons?|volunteers?|infants?|children|adults?|women|men|sites?|centers?|centres?|"
    r"arms?|cycles?|doses?|mmhg|mmol|µmol|μmol|cells?|times?)(?!\w)"
    r"|\d\s*\+|[≥≤<>]=?\s*\d|\bn\s*=\s*\d",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_PHASE = re.compile(r"\bphase\s*([0-4]|i{1,3}|iv|n/?a|not applicable)(?![a-z0-9])", re.IGNORECASE)
# Every registry id has a run of 4+ digits except short Dutch NTR numbers.
_ID_HINT = re.compile(r"\d{4}|NTR\d")
_EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}\.[\w.-]{1,63}")  # bounded: no backtracking blow-up
_PHONE = re.compile(r"\+?\d[\d ().-]{6,30}\d")
# Trial labels; at the start of a line they make it a label (and, with text
# after them, a label with its value).
_LABELS = (
    r"(lead |primary |secondary )?sponsors?|collaborators?|funders?|funding( source)?|"
    r"(study )?phase|enrol?lment|target( sample)? size|sample size|target (recruitment|enrol?lment|number)|"
    r"participants needed|number of participants|(minimum |maximum |eligible )?ages?|age-(lower|upper) limit|"
    r"sex|gender|(accepts )?healthy volunteers|(recruitment |overall |trial )?status|conditions?|diseases?|"
    r"interventions?|treatments?|arms?|study type|type of (trial|study|intervention)|study design|"
    r"allocation|masking|blinding|randomi[sz]ation|intervention model|primary purpose|"
    r"(official |public |scientific )?title|acronym|(trial |clinical study )?identifiers?|"
    r"registration (number|date)|nct id|ct\.gov id|secondary ids?|start date|study start|"
    r"(primary )?completion date|end date|first posted|first received|last update(d| posted)?|"
    r"date of [a-z ]{3,40}|(primary|secondary) (outcomes?|endpoints?)|outcome measures?|time frame|"
    r"inclusion criteria|exclusion criteria|eligibility( criteria)?|locations?|countr(y|ies)|region|"
    r"sites?|contact( person| name)?|(principal )?investigator|study leader|applicant|e-?mail|"
    r"tel|telephone|phone|fax|address|affiliation|organi[sz]ation|institute|institution|"
    r"division name|zip code|ethics|irb|ipd|receipt (number|no\.?)|unique id|"
    r"drug|biological|device|procedure|radiation|behavioral|genetic|dietary supplement|other"
)
_LABEL_ONLY = re.compile(rf"(?:{_LABELS})\s*[:：|]?", re.IGNORECASE)
_LABEL_WITH_VALUE = re.compile(rf"(?:{_LABELS})\b\s*[:：|\-–]?\s*\S", re.IGNORECASE)
_MAX_BARE_LABEL_WORDS = 8


def _visible(line: str) -> str:
    """The line without surrounding whitespace or invisible characters."""
    return line.strip().strip(_INVISIBLE).strip()


def _folded(text: str) -> str:
    """Lower-case, single-spaced, bullet-free form that the phrase table matches."""
    return " ".join(text.lstrip(_BULLETS).split()).casefold()


def line_key(line: str) -> str:
    """The form in which lines are compared across documents of a site."""
    return " ".join(line.split()).casefold()


def _phrase_match(folded: str) -> tuple[str, bool] | None:
    """(reason, opens_block) for a known boilerplate line, else None."""
    if "lorem ipsum" in folded or "dolor sit amet" in folded:
        return "lorem-ipsum", False
    if len(folded) > _MAX_PHRASE_LINE_CHARS:
        return None
    if not (_ANY_AT_START.match(folded) or _ANY_ANYWHERE.search(folded)):
        return None
    for category, where, pattern, opens_block in _COMPILED_PHRASES:
        if (pattern.match if where == _START else pattern.search)(folded):
            reason = category if category == "ui-text" else f"boilerplate-phrase:{category}"
            return reason, opens_block
    return None


def carries_fact(line: str) -> bool:
    """Whether a line states something an extractor may need (see module docstring).

    A line too long to scan cheaply counts as carrying one: such lines are
    content, and keeping them is the safe side.
    """
    if len(line) > _MAX_FACT_LINE_CHARS:
        return True
    if _PHASE.search(line):
        return True
    if not _DIGIT.search(line):
        return "@" in line and bool(_EMAIL.search(line))
    return bool(
        _DATE.search(line) or _QUANTITY.search(line) or _EMAIL.search(line)
        or _PHONE.search(line) or (_ID_HINT.search(line) and find_registry_ids(line))
    )


def _is_bare_label(visible: str, heading: str | None) -> bool:
    """A label with its value on the next line: "Target sample size", "Applicant telephone:".

    `heading` is heading_label(visible), which the caller already has.
    """
    if heading is not None:
        return True
    if len(visible) > 100:
        return False
    text = visible.lstrip(_BULLETS)
    if _LABEL_ONLY.fullmatch(text):
        return True
    return text.endswith((":", "：")) and len(text.split()) <= _MAX_BARE_LABEL_WORDS


def _has_label_and_value(visible: str) -> bool:
    return len(visible) <= _MAX_PHRASE_LINE_CHARS and bool(
        _LABEL_WITH_VALUE.match(visible.lstrip(_BULLETS))
    )


def _looks_like_ui(folded: str) -> bool:
    words = folded.rstrip(".:!").split()
    if 0 < len(words) <= 4 and all(word in _UI_WORDS for word in words):
        return any(word in _UI_ACTIONS for word in words)
    return bool(_ASTERISK_LABEL.fullmatch(folded) or _LOGO_ALT.fullmatch(folded))


# --- Lines ----------------------------------------------------------------------


class _Line(NamedTuple):
    start: int  # offset in Document.text
    content_end: int  # where the line break starts
    end: int  # after the line break
    text: str  # without the line break


def _iter_lines(text: str) -> Iterator[_Line]:
    offset = 0
    for raw in text.splitlines(keepends=True):
        content = raw.rstrip(_LINE_BREAKS)
        yield _Line(offset, offset + len(content), offset + len(raw), content)
        offset += len(raw)


def _looks_like_registry_layout(text: str) -> bool:
    """Dense with labels and headings, as registry record pages are."""
    nonblank = labelled = 0
    for line in _iter_lines(text):
        visible = _visible(line.text)
        if not visible:
            continue
        nonblank += 1
        if _is_bare_label(visible, heading_label(visible)) or _has_label_and_value(visible):
            labelled += 1
    return labelled >= 8 and labelled >= 0.3 * nonblank


# --- Empty registry form fields ---------------------------------------------------
# UMIN-CTR pages print every field of the registration form, most of them empty: the
# label, then straight away the next label. An empty field states nothing; dropping it
# leaves the page's facts as they were and the model less to read.
_UMIN_LAYOUT = re.compile(r"Unique ID issued by UMIN|UMIN-CTR|UMIN-ICDS")
_UMIN_FORM_LABELS = re.compile(
    r"(?:public title|acronym|scientific title(?::acronym)?|region|condition|classification by (?:specialty|malignancy)"
    r"|genomic information|narrative objectives\d|basic objectives\d|basic objectives -others|trial characteristics_\d"
    r"|developmental phase|primary outcomes|key secondary outcomes|study type|basic design|randomization(?: unit)?"
    r"|blinding|control|stratification|dynamic allocation|institution consideration|blocking|concealment"
    r"|no\. of arms|purpose of intervention|type of intervention|interventions/control_\d+|age-(?:lower|upper) limit"
    r"|gender|key (?:inclusion|exclusion) criteria|target sample size|1st name|middle name|last name|organization|division(?: name)?|zip code|address|tel"
    r"|homepage url|email|institute|department|personal name|category of funding organization"
    r"|nationality of funding organization|co-sponsor|name of secondary funder\(s\)|study id_\d+"
    r"|org\. issuing international id_\d+|ind to mhlw|url releasing protocol|publication of results"
    r"|url related to results and publications|number of participants that the trial has enrolled|results"
    r"|results date posted|results delayed|results delay reason|date of the first journal publication of results"
    r"|baseline characteristics|participant flow|adverse events|outcome measures|plan to share ipd"
    r"|ipd sharing plan description|recruitment status|date of protocol fixation|date of irb"
    r"|anticipated trial start date|last follow-up date|date of closure to data entry"
    r"|date trial data considered complete|date analysis concluded|other related information"
    r"|registered date|last modified on|link to view the page)(?!\w)",
    re.IGNORECASE,
)


def _empty_form_fields(lines: list[_Line]) -> set[int]:
    """Starts of the UMIN-CTR form labels whose next non-blank line is another label or a
    section heading: fields left empty. Other pages: none."""
    nonblank = [line for line in lines if _visible(line.text)]
    empty = set()
    for line, following in zip(nonblank, nonblank[1:] + [None]):
        visible = _visible(line.text)
        kind = classify_heading(visible)
        if not _UMIN_FORM_LABELS.fullmatch(visible) or (kind is not None and not kind[1]):
            continue  # not a form label, or a section heading (sections need those)
        next_visible = _visible(following.text) if following else ""
        if not next_visible or _UMIN_FORM_LABELS.match(next_visible) or classify_heading(next_visible):
            empty.add(line.start)
    return empty


# --- Site profiles -------------------------------------------------------------


@dataclass(frozen=True)
class SiteProfile:
    """Lines that repeat across documents of one site.

    repeated_lines maps a line (as made by line_key) to the number of the
    site's documents that have it; only lines in at least min_documents
    documents are listed.
    """

    site: str
    document_count: int
    repeated_lines: dict[str, int]

    def drops(self, key: str, in_content_section: bool, is_list_item: bool) -> bool:
        """Whether a line goes as repeated-across-site.

        Inside trial-content sections sister trials share criteria and
        outcomes, so there a line goes only if it is not a list item and every
        page of the site (three at least) has it, as a site footer does.
        """
        count = self.repeated_lines.get(key, 0)
        if not count:
            return False
        if not in_content_section:
            return True
        return not is_list_item and count == self.document_count >= 3


def site_of(document: Document) -> str | None:
    """The site a document comes from: its URL host without "www.", or None."""
    if not document.url:
        return None
    try:
        host = urlsplit(document.url).hostname or ""
    except ValueError:
        return None
    return host.removeprefix("www.") or None


def build_site_profile(
    documents: list[Document], site: str | None = None, min_documents: int = 2
) -> SiteProfile:
    """Learn the lines that occur in at least `min_documents` of these documents.

    The documents are taken to come from one site: `site` names it, or it is
    the common URL host (a ValueError if they differ; group them with
    profiles_by_site; documents without a URL join the others). Only lines
    of at least four words count.
    """
    if site is None:
        hosts = {site_of(document) for document in documents} - {None}
        if len(hosts) > 1:
            raise ValueError(f"documents come from several sites {sorted(map(str, hosts))}; "
                             "pass site= or use profiles_by_site()")
        site = next(iter(hosts), None) or ""
    documents_with_line: Counter[str] = Counter()
    for document in documents:
        keys = {
            line_key(line) for line in document.text.splitlines()
            if len(line) <= _MAX_PHRASE_LINE_CHARS
        }
        documents_with_line.update(key for key in keys if len(key.split()) >= _MIN_REPEATED_WORDS)
    threshold = max(2, min_documents)
    repeated = {key: count for key, count in documents_with_line.items() if count >= threshold}
    return SiteProfile(site=site, document_count=len(documents), repeated_lines=repeated)


def profiles_by_site(documents: list[Document], min_documents: int = 2) -> dict[str, SiteProfile]:
    """One profile per URL host; documents without a URL are left out."""
    by_site: dict[str, list[Document]] = {}
    for document in documents:
        site = site_of(document)
        if site:
            by_site.setdefault(site, []).append(document)
    return {site: build_site_profile(docs, site, min_documents) for site, docs in by_site.items()}


# --- Cleaning -------------------------------------------------------------------


def _addressed_to_model(lines: list[_Line]) -> set[int]:
    """Starts of lines that address a model only together: an instruction wrapped over two or
    three lines ("Ignore all" / "previous instructions ..."), or an HTML comment that holds one.
    Single lines are the phrase table's job; a window counts only when the match begins in its
    first line and ends in its last, so an innocent neighbour is never taken with it."""
    shown = [(line, _folded(_visible(line.text))) for line in lines if _visible(line.text)]
    marked: set[int] = set()
    for i in range(len(shown)):
        for span in (2, 3):
            window = shown[i:i + span]
            if len(window) < span:
                break
            joined = " ".join(folded for _, folded in window)
            last_starts = len(joined) - len(window[-1][1])
            if any(m.start() < len(window[0][1]) and m.end() > last_starts for m in _TO_MODEL.finditer(joined)):
                marked.update(line.start for line, _ in window)
                break
    comment: list[_Line] = []
    for line, folded in shown:  # <!-- ... --> in a text file: hidden from a reader, shown to a model
        if "<!--" in folded or comment:
            comment.append(line)
        if comment and "-->" in folded:
            text = " ".join(_folded(_visible(c.text)) for c in comment)
            if _TO_MODEL.search(text) or any(_ROLE_TURN.match(_folded(_visible(c.text)).lstrip("<!- ")) for c in comment):
                marked.update(c.start for c in comment)
            comment = []
    return marked


# --- A bilingual record's other-language copy -------------------------------------
# Registries that keep records in two languages print every field twice, a label and value in the
# local script and again in English ("Public title:" and its value), the two labels either each
# over its value or stacked over both values. The contract stores the English
# rendering; the local copy is the same fact again, and a model shown both tends to copy the
# first. Where a field's English value is there, its local-script value lines go; a field
# given in one script only keeps what it has.
_CJK = re.compile(lexicon.CJK_CHARACTER)
_LATIN = re.compile(r"[A-Za-z]{2}")
_FIELD_LABEL_LINE = re.compile(r"[^:\uff1a|]{1,80}[:\uff1a][\s|]*")


class _Field(NamedTuple):
    labels: list[str]
    values: list[_Line]


def _fields(lines: list[_Line]) -> list[_Field]:
    """The page as fields: a run of label lines ("...:") and the lines after it up to the next label."""
    fields: list[_Field] = []
    for line in lines:
        visible = _visible(line.text)
        if not visible:
            continue
        if _FIELD_LABEL_LINE.fullmatch(visible):
            if not fields or fields[-1].values:
                fields.append(_Field([], []))
            fields[-1].labels.append(visible)
        elif fields:
            fields[-1].values.append(line)
    return fields


def _in_local_script(text: str) -> bool:
    return bool(_CJK.search(text))


def _in_english(text: str) -> bool:
    return bool(_LATIN.search(text)) and not _CJK.search(text)


def _other_language_copies(lines: list[_Line]) -> set[int]:
    """Starts of a bilingual record's local-script value lines whose field also has an English value."""
    copies: set[int] = set()
    fields = _fields(lines)
    for field, following in zip(fields, fields[1:] + [None]):
        # a line holding a label of its own ("传真: Fax:") is no plain value
        local = [value for value in field.values
                 if _in_local_script(_visible(value.text)) and not re.search("[:\uff1a]", value.text)]
        if not local:
            continue
        if not any(_in_local_script(label) for label in field.labels):
            continue
        # the English value: under both labels stacked over both values, else the next field's
        # when that field is labelled in English only
        english = [value for value in field.values if _in_english(_visible(value.text))]
        if not english and following is not None and all(_in_english(label) for label in following.labels):
            english = [value for value in following.values if _in_english(_visible(value.text))]
        if english:
            copies.update(value.start for value in local)
    return copies


def _judge_lines(
    lines: Iterable[_Line], light: bool, site_profile: SiteProfile | None, empty_fields: set[int],
    to_model: set[int] = frozenset(), other_language: set[int] = frozenset(),
) -> Iterator[tuple[_Line, str | None]]:
    """Each line with None to keep it, or the reason to drop it. Blank lines get None."""
    block: str | None = None  # the category of the boilerplate block we are in
    section = "identification"  # the label of the last heading seen
    previous_was_bare_label = False
    previous_kept_key: str | None = None
    for line in lines:
        visible = _visible(line.text)
        if not visible:
            yield line, None
            continue
        if line.start in empty_fields:
            yield line, "empty-field"
            continue
        if line.start in to_model:
            yield line, "boilerplate-phrase:instructions-to-model"
            continue
        if line.start in other_language:
            yield line, "other-language-copy"
            continue
        folded = _folded(visible) if len(visible) <= _MAX_PHRASE_LINE_CHARS else visible.casefold()
        heading = heading_label(visible)
        if heading is not None:
            section = heading
        is_value = previous_was_bare_label
        is_bare_label = previous_was_bare_label = _is_bare_label(visible, heading)

        reason: str | None = None
        match = _phrase_match(folded)
        if match is not None:
            reason, opens_block = match
            if opens_block and not light:
                block = reason.removeprefix("boilerplate-phrase:")
        else:
            strong = heading is not None or carries_fact(visible) or _has_label_and_value(visible)
            # Everything under "Similar trials" is about other trials, facts included.
            if block and (heading is not None or (strong and block != "similar-trials")):
                block = None
            if block:
                reason = f"boilerplate-phrase:{block}"
            elif not (strong or is_bare_label or is_value):
                key = line_key(visible)
                in_content = section in _CONTENT_SECTIONS
                if not light and _looks_like_ui(folded):
                    reason = "ui-text"
                elif site_profile is not None and site_profile.drops(
                    key, in_content, is_list_item=bool(_LIST_ITEM.match(visible))
                ):
                    reason = "repeated-across-site"
                elif (not light and not in_content and key == previous_kept_key
                      and len(key) >= _MIN_DUPLICATE_CHARS):
                    reason = "duplicate-line"
        if reason is None:
            previous_kept_key = line_key(visible) if len(visible) <= _MAX_PHRASE_LINE_CHARS else None
        yield line, reason


class _Ranges:
    """Kept and dropped ranges of the document text, appended in order and merged."""

    def __init__(self) -> None:
        self.kept: list[tuple[int, int]] = []
        self.removed: list[tuple[int, int, str]] = []

    def keep(self, start: int, end: int) -> None:
        if start >= end:
            return
        if self.kept and self.kept[-1][1] == start:
            self.kept[-1] = (self.kept[-1][0], end)
        else:
            self.kept.append((start, end))

    def drop(self, start: int, end: int, reason: str) -> None:
        if start >= end:
            return
        removed = self.removed
        if removed and removed[-1][1] == start and removed[-1][2] == reason:
            removed[-1] = (removed[-1][0], end, reason)
        elif (len(removed) >= 2 and removed[-1][2] == "blank-run" and removed[-1][1] == start
              and removed[-2][2] == reason and removed[-2][1] == removed[-1][0]):
            # Blank lines between two drops of one reason belong to that block.
            removed.pop()
            removed[-1] = (removed[-1][0], end, reason)
        else:
            removed.append((start, end, reason))


def clean(document: Document, site_profile: SiteProfile | None = None) -> CleanText:
    """Cleaned text of a document: its kept lines, mapped back to Document.text.

    Registry pages are cleaned lightly (see the module docstring). With a
    SiteProfile, lines repeated across that site's documents go too.
    """
    text = document.text
    light = document.kind == "registry" or (
        document.kind is None and _looks_like_registry_layout(text)
    )
    ranges = _Ranges()
    # Blank runs collapse to one blank line between content and none at the
    # start or end: the first blank line after content waits (with whatever
    # is dropped after it) until we know whether content follows.
    seen_content = False
    waiting_blank: _Line | None = None
    dropped_while_waiting = _Ranges()
    lines = list(_iter_lines(text))
    empty_fields = _empty_form_fields(lines) if _UMIN_LAYOUT.search(text) else set()
    for line, reason in _judge_lines(lines, light, site_profile, empty_fields, _addressed_to_model(lines),
                                     _other_language_copies(lines)):
        is_content = reason is None and bool(_visible(line.text))
        if is_content:
            if waiting_blank is not None:
                ranges.drop(waiting_blank.start, waiting_blank.content_end, "blank-run")
                ranges.keep(waiting_blank.content_end, waiting_blank.end)
                for start, end, why in dropped_while_waiting.removed:
                    ranges.drop(start, end, why)
                waiting_blank, dropped_while_waiting = None, _Ranges()
            ranges.keep(line.start, line.end)
            seen_content = True
        elif reason is None and seen_content and waiting_blank is None:
            waiting_blank = line
        elif waiting_blank is not None:
            dropped_while_waiting.drop(line.start, line.end, reason or "blank-run")
        else:
            ranges.drop(line.start, line.end, reason or "blank-run")
    if waiting_blank is not None:
        ranges.drop(waiting_blank.start, waiting_blank.end, "blank-run")
        for start, end, why in dropped_while_waiting.removed:
            ranges.drop(start, end, why)

    segments = []
    clean_offset = 0
    for start, end in ranges.kept:
        segments.append((clean_offset, start, end - start))
        clean_offset += end - start
    return CleanText(
        text="".join(text[start:end] for start, end in ranges.kept),
        segments=tuple(segments),
        removed=tuple(RemovedBlock(start, end, why) for start, end, why in ranges.removed),
    )
