"""Hypothesis fuzzing of the normalizers and the registry id finder.

Properties:
- a normalizer given anything raises nothing but ValueError (pydantic turns
  only ValueError into a validation error the model sees; anything else
  would crash extraction), and what it returns is canonical and stable when
  normalized again;
- find_registry_ids never raises, its spans are valid and in order, each
  span holds the id's digits and normalizes back to the same id, and an id
  placed in arbitrary prose is found.

Kept under ~20 s on two cores: examples are capped, and the example database
is off (no .hypothesis/ folder is written).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trialsift.schemas import normalize as n

def _fuzz(max_examples: int):
    return settings(max_examples=max_examples, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

# Pieces of real field values and ids: glued at random they reach far more of
# the parsers' branches than uniform random text does.
FRAGMENTS = [
    "NCT", "ISRCTN", "UMIN", "jRCT", "ChiCTR", "ChiCTR-", "TRC-", "EUCTR", "EudraCT", "EU CT",
    "CTRI/", "ACTRN", "DRKS", "IRCT", "N1", "KCT", "NTR", "NL", "PACTR", "TCTR", "ITMCTR",
    "2015-", "001097-", "-18", "-ES", "500244-", "-00", "/08/", "035815", "0123456", "78",
    "Phase", " ", "I", "II", "/", "1b", "N/A", "None", "-", "Not applicable", "Early",
    "18", "years-old", "<=", "+", "yrs", "Months", "Weeks", "Days", "Over",
    "Dec", "20,", "2025", "Year", "Month", "Day", "10", "26", "/", "T00:00:00", "Sept",
    "Male", "Female", "and", ",", "All", "USA", "Korea, Republic of", "United", "States",
    "Recruiting", "Active, not recruiting", "Ongoing", "Open", "label", "(", ")", "[", "]",
    "Randomized", "Non-", "Single", "Double", "Assignment", "N=", "1,200", "patients",
    "Yes", "No", "t", "f", "\n", "\u00a0", "٣", "Ⅱ", "ＮＣＴ", "ſ", "K",
]
fragment_text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), max_size=8).map("".join)
any_text = st.one_of(st.text(max_size=60), fragment_text)
any_value = st.one_of(
    any_text,
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(any_text, max_size=4),
    st.lists(st.one_of(st.integers(), st.none(), any_text), max_size=3),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
)

CANONICAL_CHOICES = {
    n.normalize_study_type: set(n.STUDY_TYPES),
    n.normalize_allocation: set(n.ALLOCATIONS),
    n.normalize_masking: set(n.MASKINGS),
    n.normalize_intervention_model: set(n.INTERVENTION_MODELS),
    n.normalize_sex: set(n.SEXES),
    n.normalize_recruitment_status: set(n.RECRUITMENT_STATUSES),
    n.normalize_ipd_sharing: set(n.IPD_SHARING),
    n.normalize_registry_name: set(n.REGISTRIES),
}


def _check_output(func, result):
    """What each normalizer may return when it does not raise."""
    if func in CANONICAL_CHOICES:
        assert result is None or result in CANONICAL_CHOICES[func]
    elif func is n.normalize_phases:
        assert result == [phase for phase in n.PHASES if phase in result]  # known, ordered, unique
    elif func is n.normalize_age_years:
        assert result is None or (isinstance(result, float) and 0 <= result <= 150)
    elif func is n.normalize_enrollment:
        assert result is None or (type(result) is int and result >= 0)
    elif func is n.normalize_partial_date:
        assert result is None or re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", result)
    elif func is n.normalize_country:
        assert result is None or re.fullmatch(r"[A-Z]{2}", result)
    elif func is n.normalize_bool:
        assert result in (None, True, False)
    elif func is n.normalize_text_list:
        assert all(isinstance(item, str) and item == item.strip() and item for item in result)
        assert len({" ".join(item.casefold().split()) for item in result}) == len(result)
    else:
        raise AssertionError(f"no output check for {func.__name__}")


NORMALIZERS = [*CANONICAL_CHOICES, n.normalize_phases, n.normalize_age_years, n.normalize_enrollment,
               n.normalize_partial_date, n.normalize_country, n.normalize_bool, n.normalize_text_list]


@pytest.mark.parametrize("func", NORMALIZERS, ids=lambda func: func.__name__)
@_fuzz(120)
@given(value=any_value)
def test_normalizers_raise_only_value_error_and_return_canonical_values(func, value):
    try:
        result = func(value)
    except ValueError:
        return
    _check_output(func, result)
    # Normalizing a normalized value changes nothing.
    assert func(result) == result


@_fuzz(300)
@given(raw=any_text, hint=st.one_of(st.none(), st.sampled_from(n.REGISTRIES), st.text(max_size=8)))
def test_normalize_registry_id_raises_only_value_error(raw, hint):
    try:
        registry, id_ = n.normalize_registry_id(raw, hint)
    except ValueError:
        return
    assert registry in n.REGISTRIES
    assert id_ and id_ == id_.strip()
    assert n.normalize_registry_id(id_, registry) == (registry, id_)


def _digits(text: str) -> str:
    return re.sub(r"[^0-9]", "", text)


@_fuzz(300)
@given(text=any_text)
def test_find_registry_ids_never_raises_and_spans_hold_the_id(text):
    matches = n.find_registry_ids(text)
    starts = [match.start for match in matches]
    assert starts == sorted(starts)
    assert len({(match.registry, match.id) for match in matches}) == len(matches)
    for match in matches:
        assert match.registry in n.REGISTRIES
        assert 0 <= match.start < match.end <= len(text)
        written = text[match.start:match.end]
        assert _digits(match.id) in _digits(written)
        assert n.normalize_registry_id(written) == (match.registry, match.id)


# Canonical ids of every registry, built from their formats.
def _digit_string(size: int):
    return st.text(alphabet="0123456789", min_size=size, max_size=size)


canonical_ids = st.one_of(
    _digit_string(8).map(lambda d: ("NCT", f"NCT{d}")),
    _digit_string(8).map(lambda d: ("ISRCTN", f"ISRCTN{d}")),
    _digit_string(9).map(lambda d: ("UMIN", f"UMIN{d}")),
    st.tuples(st.sampled_from("s123abcde"), _digit_string(9)).map(lambda t: ("JRCT", f"jRCT{t[0]}{t[1]}")),
    _digit_string(10).map(lambda d: ("CHICTR", f"ChiCTR{d}")),
    st.tuples(st.integers(2004, 2023), _digit_string(5), _digit_string(2)).map(
        lambda t: ("EUDRACT", f"{t[0]}-0{t[1]}-{t[2]}")),
    st.tuples(st.integers(2022, 2030), _digit_string(5), _digit_string(2), _digit_string(2)).map(
        lambda t: ("CTIS", f"{t[0]}-5{t[1]}-{t[2]}-{t[3]}")),
    st.tuples(st.integers(2007, 2030), _digit_string(2), _digit_string(6)).map(
        lambda t: ("CTRI", f"CTRI/{t[0]}/{t[1]}/{t[2]}")),
    _digit_string(14).map(lambda d: ("ACTRN", f"ACTRN{d}")),
    _digit_string(8).map(lambda d: ("DRKS", f"DRKS{d}")),
    st.tuples(_digit_string(12), st.integers(1, 9)).map(lambda t: ("IRCT", f"IRCT{t[0]}N{t[1]}")),
    _digit_string(7).map(lambda d: ("KCT", f"KCT{d}")),
    _digit_string(4).map(lambda d: ("NTR", f"NTR{d}")),
    _digit_string(15).map(lambda d: ("PACTR", f"PACTR{d}")),
    _digit_string(11).map(lambda d: ("TCTR", f"TCTR{d}")),
    _digit_string(10).map(lambda d: ("ITMCTR", f"ITMCTR{d}")),
)
# Prose around an id: letters that spell no registry prefix, spacing, punctuation.
prose = st.text(alphabet="abcdefghij \n\t.,;:()[]|", max_size=30)


@_fuzz(300)
@given(id_=canonical_ids, before=prose, after=prose)
def test_an_id_in_prose_is_found_where_it_is(id_, before, after):
    registry, canonical = id_
    if registry == "EUDRACT":
        before += "EudraCT number: "  # a bare EudraCT number needs its label
    if registry == "NTR":
        before, after = before + " ", " " + after  # NTR ids count only as whole words
    text = f"{before}{canonical}{after}"
    matches = n.find_registry_ids(text)
    assert [(m.registry, m.id) for m in matches] == [id_]
    assert text[matches[0].start:matches[0].end] == canonical
    assert n.normalize_registry_id(canonical) == id_
