"""TrialRecord v1: the contract every stage, export and eval share.

Key names follow the WHO Trial Registration Data Set and ClinicalTrials.gov
API v2 enums. Each constrained type carries its normalizer (a pydantic
BeforeValidator), so trivially normalisable text ("Phase II", "18 Years",
"Male and Female") is accepted, and anything else raises a ValueError that
instructor feeds back to the model instead of silently coercing it.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from . import normalize

SCHEMA_VERSION = "1"


class StudyType(str, Enum):
    INTERVENTIONAL = "INTERVENTIONAL"
    OBSERVATIONAL = "OBSERVATIONAL"
    EXPANDED_ACCESS = "EXPANDED_ACCESS"


class Phase(str, Enum):
    EARLY_PHASE1 = "EARLY_PHASE1"
    PHASE1 = "PHASE1"
    PHASE2 = "PHASE2"
    PHASE3 = "PHASE3"
    PHASE4 = "PHASE4"
    NA = "NA"


class Allocation(str, Enum):
    RANDOMIZED = "RANDOMIZED"
    NON_RANDOMIZED = "NON_RANDOMIZED"
    NA = "NA"


class Masking(str, Enum):
    NONE = "NONE"
    SINGLE = "SINGLE"
    DOUBLE = "DOUBLE"
    TRIPLE = "TRIPLE"
    QUADRUPLE = "QUADRUPLE"


class InterventionModel(str, Enum):
    SINGLE_GROUP = "SINGLE_GROUP"
    PARALLEL = "PARALLEL"
    CROSSOVER = "CROSSOVER"
    FACTORIAL = "FACTORIAL"
    SEQUENTIAL = "SEQUENTIAL"


class InterventionType(str, Enum):
    DRUG = "DRUG"
    DEVICE = "DEVICE"
    BIOLOGICAL = "BIOLOGICAL"
    PROCEDURE = "PROCEDURE"
    RADIATION = "RADIATION"
    BEHAVIORAL = "BEHAVIORAL"
    GENETIC = "GENETIC"
    DIETARY_SUPPLEMENT = "DIETARY_SUPPLEMENT"
    COMBINATION_PRODUCT = "COMBINATION_PRODUCT"
    DIAGNOSTIC_TEST = "DIAGNOSTIC_TEST"
    OTHER = "OTHER"


class ArmType(str, Enum):
    EXPERIMENTAL = "EXPERIMENTAL"
    ACTIVE_COMPARATOR = "ACTIVE_COMPARATOR"
    PLACEBO_COMPARATOR = "PLACEBO_COMPARATOR"
    SHAM_COMPARATOR = "SHAM_COMPARATOR"
    NO_INTERVENTION = "NO_INTERVENTION"
    OTHER = "OTHER"


class Sex(str, Enum):
    ALL = "ALL"
    FEMALE = "FEMALE"
    MALE = "MALE"


class RecruitmentStatus(str, Enum):
    NOT_YET_RECRUITING = "NOT_YET_RECRUITING"
    RECRUITING = "RECRUITING"
    ENROLLING_BY_INVITATION = "ENROLLING_BY_INVITATION"
    ACTIVE_NOT_RECRUITING = "ACTIVE_NOT_RECRUITING"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"
    COMPLETED = "COMPLETED"
    WITHDRAWN = "WITHDRAWN"
    UNKNOWN = "UNKNOWN"


class IpdSharing(str, Enum):
    YES = "YES"
    NO = "NO"
    UNDECIDED = "UNDECIDED"


# Constrained scalar types: the normalizer runs before pydantic's own check.
RegistryName = Annotated[str, BeforeValidator(normalize.normalize_registry_name)]
PartialDate = Annotated[Optional[str], BeforeValidator(normalize.normalize_partial_date)]
AgeYears = Annotated[Optional[float], BeforeValidator(normalize.normalize_age_years)]
CountryCode = Annotated[str, BeforeValidator(normalize.normalize_country)]
# A site's country may be unstated ("N/A", null): normalized to None, not refused.
OptionalCountryCode = Annotated[Optional[str], BeforeValidator(normalize.normalize_country)]
OptionalStudyType = Annotated[Optional[StudyType], BeforeValidator(normalize.normalize_study_type)]
Phases = Annotated[list[Phase], BeforeValidator(normalize.normalize_phases)]
OptionalAllocation = Annotated[Optional[Allocation], BeforeValidator(normalize.normalize_allocation)]
OptionalMasking = Annotated[Optional[Masking], BeforeValidator(normalize.normalize_masking)]
OptionalInterventionModel = Annotated[
    Optional[InterventionModel], BeforeValidator(normalize.normalize_intervention_model)
]
OptionalSex = Annotated[Optional[Sex], BeforeValidator(normalize.normalize_sex)]
OptionalStatus = Annotated[
    Optional[RecruitmentStatus], BeforeValidator(normalize.normalize_recruitment_status)
]
OptionalIpdSharing = Annotated[Optional[IpdSharing], BeforeValidator(normalize.normalize_ipd_sharing)]
Enrollment = Annotated[Optional[int], BeforeValidator(normalize.normalize_enrollment)]
OptionalBool = Annotated[Optional[bool], BeforeValidator(normalize.normalize_bool)]
TextList = Annotated[list[str], BeforeValidator(normalize.normalize_text_list)]


def _null_is_empty(value):
    """Models write null for 'none stated' as often as []; both mean the same."""
    return [] if value is None else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)


class RegistryId(_Strict):
    registry: RegistryName = Field(description="Registry short name, e.g. NCT, UMIN, EUDRACT, OTHER")
    id: str = Field(description="The identifier exactly as the registry formats it")


class Intervention(_Strict):
    name: str
    type: Optional[InterventionType] = None
    description: Optional[str] = None


class Arm(_Strict):
    label: str
    type: Optional[ArmType] = None
    description: Optional[str] = None


class Site(_Strict):
    name: Optional[str] = None
    city: Optional[str] = None
    country: OptionalCountryCode = None


class Outcome(_Strict):
    measure: str
    time_frame: Optional[str] = None


class Contact(_Strict):
    name: Optional[str] = None
    role: Optional[str] = None
    affiliation: Optional[str] = None
    email: Optional[str] = None
    phone: Optional[str] = None


class TrialRecord(_Strict):
    """One trial as stated by one or more documents. Empty means 'not stated'."""

    registry_ids: Annotated[list[RegistryId], BeforeValidator(_null_is_empty)] = Field(default_factory=list)
    public_title: Optional[str] = None
    scientific_title: Optional[str] = None
    acronym: Optional[str] = None
    conditions: TextList = Field(default_factory=list)
    study_type: OptionalStudyType = None
    phases: Phases = Field(default_factory=list)
    allocation: OptionalAllocation = None
    masking: OptionalMasking = None
    intervention_model: OptionalInterventionModel = None
    interventions: Annotated[list[Intervention], BeforeValidator(_null_is_empty)] = Field(default_factory=list)
    arms: Annotated[list[Arm], BeforeValidator(_null_is_empty)] = Field(default_factory=list)
    primary_sponsor: Optional[str] = None
    secondary_sponsors: TextList = Field(default_factory=list)
    funders: TextList = Field(default_factory=list)
    collaborators: TextList = Field(default_factory=list)
    countries: Annotated[list[CountryCode], BeforeValidator(_null_is_empty)] = Field(default_factory=list)
    sites: Annotated[list[Site], BeforeValidator(_null_is_empty)] = Field(default_factory=list)
    target_enrollment: Enrollment = None
    min_age_years: AgeYears = None
    max_age_years: AgeYears = None
    sex: OptionalSex = None
    healthy_volunteers: OptionalBool = None
    recruitment_status: OptionalStatus = None
    registration_date: PartialDate = None
    start_date: PartialDate = None
    primary_completion_date: PartialDate = None
    completion_date: PartialDate = None
    primary_outcomes: Annotated[list[Outcome], BeforeValidator(_null_is_empty)] = Field(default_factory=list)
    secondary_outcomes: Annotated[list[Outcome], BeforeValidator(_null_is_empty)] = Field(default_factory=list)
    inclusion_criteria: TextList = Field(default_factory=list)
    exclusion_criteria: TextList = Field(default_factory=list)
    contacts: Annotated[list[Contact], BeforeValidator(_null_is_empty)] = Field(default_factory=list)
    ethics_review: Optional[str] = None
    ipd_sharing: OptionalIpdSharing = None


CONTRACT_KEYS: tuple[str, ...] = tuple(TrialRecord.model_fields)
LIST_FIELDS = frozenset(name for name, info in TrialRecord.model_fields.items() if info.default_factory is list)
# Lists judged as one value: [PHASE2, PHASE3] and [PHASE2] disagree, they do not add up.
WHOLE_VALUE_FIELDS = frozenset({"phases"})
# The key that names each item of a list of objects: what grounding finds in the text, what a
# value's probability is read for, what the scorer matches first.
ITEM_NAME_KEYS: dict[str, str] = {
    "registry_ids": "id", "interventions": "name", "arms": "label", "primary_outcomes": "measure",
    "secondary_outcomes": "measure", "sites": "name", "contacts": "name",
}


def is_empty(value) -> bool:
    """A field counts as 'not stated' when it is None or an empty list."""
    return value is None or value == [] or value == ""
