"""Which site a gold document comes from, and which split (dev or validation) it is in.

The split is by site, fixed once and never by content: pages of one site share a layout,
so a rule written against one of its pages would flatter its other pages. Every site of
the first gold set (the pages the extraction code was written against) is dev. Any other
site goes to validation or dev by a hash of its name, two in three to validation, so no
one chooses which pages land where. Nobody reads validation pages, or their errors, while
changing the pipeline; their score is the number that counts.
"""

from __future__ import annotations

import hashlib
import ipaddress
from typing import Optional
from urllib.parse import urlsplit

DEV = "dev"
VALIDATION = "validation"
SPLITS = (DEV, VALIDATION)

# Sites of the first 45 gold documents (and the seeds): code was written against them.
DEV_SITES = frozenset({
    "seeds", "acc.org", "mhmedical.com", "arrowtrial.org", "caneurotrials.com", "chictr.org.cn",
    "clinicaltrials.gov", "clincosm.com", "clinicaltrialexchange.com", "clinicaltrialsregister.eu",
    "crick.ai", "nic.in", "veeva.com", "grantome.com", "hra.nhs.uk", "isrctn.com",
    "ccebtcm.org.cn", "convoke.bio", "pathway.md", "seekingalpha.com", "smartpatients.com",
    "medpath.com", "trials.co", "trialstoday.org", "umin.ac.jp", "vellito.com",
})

# Second-level labels under which a country's registrable domains sit ("nhs.uk", "gov.ir").
_GENERIC_SECOND_LEVEL = {"ac", "co", "com", "edu", "go", "gov", "net", "nhs", "org", "or", "ne", "nic"}

# Hosts that serve the same registry under another name: one site for the split.
SITE_ALIASES = {"123.57.9.4": "ccebtcm.org.cn"}  # ITMCTR served from its IP address


def site_of(url: Optional[str]) -> str:
    """The registrable domain of a page's URL ("upload.umin.ac.jp" -> "umin.ac.jp");
    "seeds" for the seed documents, which have no URL."""
    if not url:
        return "seeds"
    host = (urlsplit(url).hostname or "").lower()
    try:
        ipaddress.ip_address(host)
        return SITE_ALIASES.get(host, host)
    except ValueError:
        pass
    labels = host.split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _GENERIC_SECOND_LEVEL else 2
    site = ".".join(labels[-keep:])
    return SITE_ALIASES.get(site, site)


def split_of(site: str) -> str:
    if site in DEV_SITES:
        return DEV
    digest = int(hashlib.sha256(f"trialsift-split-v1:{site}".encode()).hexdigest(), 16)
    return VALIDATION if digest % 3 else DEV
