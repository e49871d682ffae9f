"""Field groups: the contract split into small schemas, one LLM call each on long pages.

A page too long for one call is read group by group, each group over the sections
that can hold its fields. A page that fits one call is asked for all open fields at
once: asked one group at a time, the embedded model did worse, not better (it puts
values into the few keys it is given that belong elsewhere; eval/HISTORY.md,
session 40). Each group model is built from TrialRecord's own field definitions, so
the same normalizers and validation errors apply.
"""

from __future__ import annotations

import copy
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, create_model

from .trial import TrialRecord

FIELD_GROUPS: dict[str, tuple[str, ...]] = {
    "identification_status": (
        "registry_ids", "public_title", "scientific_title", "acronym", "conditions",
        "recruitment_status", "registration_date", "start_date",
        "primary_completion_date", "completion_date",
    ),
    "design_phase": (
        "study_type", "phases", "allocation", "masking", "intervention_model", "target_enrollment",
    ),
    "interventions_arms": ("interventions", "arms"),
    "eligibility": (
        "min_age_years", "max_age_years", "sex", "healthy_volunteers",
        "inclusion_criteria", "exclusion_criteria",
    ),
    "outcomes": ("primary_outcomes", "secondary_outcomes"),
    "sponsors_sites_contacts": (
        "primary_sponsor", "secondary_sponsors", "funders", "collaborators",
        "countries", "sites", "contacts", "ethics_review", "ipd_sharing",
    ),
}

GROUP_OF_FIELD: dict[str, str] = {f: g for g, fields in FIELD_GROUPS.items() for f in fields}

assert set(GROUP_OF_FIELD) == set(TrialRecord.model_fields), "every contract key belongs to one group"


class FieldGroupModel(BaseModel):
    """Base of the group models. Their JSON schema is asked for on every LLM call (by instructor,
    to build response_format) and pydantic rebuilds it each time; a group's schema never changes."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    @classmethod
    def model_json_schema(cls, *args, **kwargs) -> dict:
        return copy.deepcopy(_json_schema(cls, args, tuple(sorted(kwargs.items()))))


@lru_cache(maxsize=None)
def _json_schema(model: type[BaseModel], args: tuple, kwargs: tuple) -> dict:
    return BaseModel.model_json_schema.__func__(model, *args, **dict(kwargs))


@lru_cache(maxsize=None)
def group_model(fields: tuple[str, ...]) -> type[BaseModel]:
    """A pydantic model holding just these TrialRecord fields (same types and validators)."""
    definitions = {
        name: (TrialRecord.model_fields[name].annotation, TrialRecord.model_fields[name])
        for name in fields
    }
    name = ("Fields_" + "_".join(sorted(fields)))[:64]  # OpenAI limits schema names to 64 characters
    return create_model(name, __base__=FieldGroupModel, **definitions)
