"""Parse arXiv identifiers in every form users and feeds write them.

arXiv has two identifier schemes. New-style ids (April 2007 onward) are `YYMM.NNNN`
until December 2014 and `YYMM.NNNNN` from January 2015. Old-style ids are
`archive/YYMMNNN`, optionally with the subject class (`math.GT/0309136`), which
arXiv ignores: the canonical form of that id is `math/0309136`.
"""

from __future__ import annotations

import re

from bot.arxiv.errors import InvalidArxivIdError

# Archives that issued old-style identifiers before April 2007.
OLD_ARCHIVES = frozenset(
    {
        "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an",
        "chao-dyn", "chem-ph", "cmp-lg", "comp-gas", "cond-mat", "cs", "dg-ga", "funct-an",
        "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math", "math-ph", "mtrl-th",
        "nlin", "nucl-ex", "nucl-th", "patt-sol", "physics", "plasm-ph", "q-alg", "q-bio",
        "quant-ph", "solv-int", "supr-con",
    }
)  # fmt: skip

_NEW_ID = re.compile(r"(?P<yymm>\d{4})\.(?P<number>\d{4,5})(?:v(?P<version>\d+))?")
_OLD_ID = re.compile(
    r"(?P<archive>[a-z]+(?:-[a-z]+)?)(?:\.[a-z-]+)?/(?P<yymm>\d{4})(?P<number>\d{3})"
    r"(?:v(?P<version>\d+))?",
    re.IGNORECASE,
)
# Prefixes that wrap an id: abs, PDF and HTML links on any arxiv.org host, the OAI
# identifier used as the RSS guid, and the `arXiv:` label.
_PREFIX = re.compile(
    r"^(?:(?:https?://)?(?:[a-z0-9-]+\.)*arxiv\.org/(?:abs|pdf|html)/|oai:arxiv\.org:|arxiv:)",
    re.IGNORECASE,
)
_SUFFIX = re.compile(r"(?:\.pdf)?/?(?:[?#].*)?$", re.IGNORECASE)

# New-style numbers have four digits up to 1412 and five digits from 1501.
_FIVE_DIGIT_START = 1501
_FIRST_NEW_STYLE = 704
_LAST_OLD_STYLE = 703
_FIRST_OLD_STYLE = 9108


def parse_id(text: str) -> tuple[str, int | None]:
    """Parse an arXiv id, abs/PDF URL or OAI identifier into `(canonical_id, version)`.

    The version is None when the input has none. Raises InvalidArxivIdError when the
    text is not an arXiv identifier.
    """
    core = _SUFFIX.sub("", _PREFIX.sub("", text.strip()), count=1)

    match = _NEW_ID.fullmatch(core)
    if match and _valid_new(match["yymm"], match["number"]):
        return f"{match['yymm']}.{match['number']}", _version(match["version"], text)

    match = _OLD_ID.fullmatch(core)
    if match and _valid_old(match["archive"].lower(), match["yymm"]):
        canonical = f"{match['archive'].lower()}/{match['yymm']}{match['number']}"
        return canonical, _version(match["version"], text)

    raise InvalidArxivIdError(text)


def is_arxiv_id(text: str) -> bool:
    """Return whether `text` parses as an arXiv identifier in any accepted form."""
    try:
        parse_id(text)
    except InvalidArxivIdError:
        return False
    return True


def format_id(canonical_id: str, version: int | None = None) -> str:
    """Format an id with its version suffix (`2511.04976v2`), or without when version is None."""
    return f"{canonical_id}v{version}" if version else canonical_id


def _version(digits: str | None, text: str) -> int | None:
    if digits is None:
        return None
    version = int(digits)
    if version < 1:
        raise InvalidArxivIdError(text)
    return version


def _valid_month(yymm: str) -> bool:
    return 1 <= int(yymm[2:]) <= 12


def _valid_new(yymm: str, number: str) -> bool:
    # Sorting YYMM as a number works because new-style ids start in 2007.
    period = int(yymm)
    expected_digits = 5 if period >= _FIVE_DIGIT_START else 4
    return period >= _FIRST_NEW_STYLE and _valid_month(yymm) and len(number) == expected_digits


def _valid_old(archive: str, yymm: str) -> bool:
    # Old-style ids run from August 1991 (9108) to March 2007 (0703) across the century.
    period = int(yymm)
    in_range = period >= _FIRST_OLD_STYLE or period <= _LAST_OLD_STYLE
    return archive in OLD_ARCHIVES and in_range and _valid_month(yymm)
