"""Normalizers from what real documents say to TrialRecord values.

PLACEHOLDER: a helper is implementing this module. The API below is the
contract (names, arguments, return types). Each normalizer:
- returns None (or [] for lists) for None / empty / "not stated" style inputs,
- returns the normalized value for trivially normalisable forms,
- raises ValueError with a short, model-readable message otherwise.
"""

from __future__ import annotations


def normalize_registry_name(value):
    return value


def normalize_partial_date(value):
    return value


def normalize_age_years(value):
    return value


def normalize_country(value):
    return value


def normalize_study_type(value):
    return value


def normalize_phases(value):
    return value or []


def normalize_allocation(value):
    return value


def normalize_masking(value):
    return value


def normalize_intervention_model(value):
    return value


def normalize_sex(value):
    return value


def normalize_recruitment_status(value):
    return value


def normalize_ipd_sharing(value):
    return value


def normalize_enrollment(value):
    return value


def normalize_bool(value):
    return value


def normalize_text_list(value):
    return value or []


def find_registry_ids(text: str):
    """All registry ids in free text, as (RegistryIdMatch) in order of appearance."""
    return []


def normalize_registry_id(raw: str, registry_hint: str | None = None):
    """One id string -> (registry, id) tuple; unknown ids get registry 'OTHER'."""
    return ("OTHER", raw)
