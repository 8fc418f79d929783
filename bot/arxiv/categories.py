"""The arXiv category taxonomy, with lookup and autocomplete helpers.

Codes and names follow https://arxiv.org/category_taxonomy. Besides categories, arXiv
serves a feed for each whole archive (`rss/cs`, `rss/math`), so archive codes are
accepted wherever a category is.
"""

from __future__ import annotations

import difflib
import os
from functools import cache

from bot.arxiv.errors import UnknownCategoryError

CATEGORIES: dict[str, str] = {
    "cs.AI": "Artificial Intelligence",
    "cs.AR": "Hardware Architecture",
    "cs.CC": "Computational Complexity",
    "cs.CE": "Computational Engineering, Finance, and Science",
    "cs.CG": "Computational Geometry",
    "cs.CL": "Computation and Language",
    "cs.CR": "Cryptography and Security",
    "cs.CV": "Computer Vision and Pattern Recognition",
    "cs.CY": "Computers and Society",
    "cs.DB": "Databases",
    "cs.DC": "Distributed, Parallel, and Cluster Computing",
    "cs.DL": "Digital Libraries",
    "cs.DM": "Discrete Mathematics",
    "cs.DS": "Data Structures and Algorithms",
    "cs.ET": "Emerging Technologies",
    "cs.FL": "Formal Languages and Automata Theory",
    "cs.GL": "General Literature",
    "cs.GR": "Graphics",
    "cs.GT": "Computer Science and Game Theory",
    "cs.HC": "Human-Computer Interaction",
    "cs.IR": "Information Retrieval",
    "cs.IT": "Information Theory",
    "cs.LG": "Machine Learning",
    "cs.LO": "Logic in Computer Science",
    "cs.MA": "Multiagent Systems",
    "cs.MM": "Multimedia",
    "cs.MS": "Mathematical Software",
    "cs.NA": "Numerical Analysis",
    "cs.NE": "Neural and Evolutionary Computing",
    "cs.NI": "Networking and Internet Architecture",
    "cs.OH": "Other Computer Science",
    "cs.OS": "Operating Systems",
    "cs.PF": "Performance",
    "cs.PL": "Programming Languages",
    "cs.RO": "Robotics",
    "cs.SC": "Symbolic Computation",
    "cs.SD": "Sound",
    "cs.SE": "Software Engineering",
    "cs.SI": "Social and Information Networks",
    "cs.SY": "Systems and Control",
    "econ.EM": "Econometrics",
    "econ.GN": "General Economics",
    "econ.TH": "Theoretical Economics",
    "eess.AS": "Audio and Speech Processing",
    "eess.IV": "Image and Video Processing",
    "eess.SP": "Signal Processing",
    "eess.SY": "Systems and Control",
    "math.AC": "Commutative Algebra",
    "math.AG": "Algebraic Geometry",
    "math.AP": "Analysis of PDEs",
    "math.AT": "Algebraic Topology",
    "math.CA": "Classical Analysis and ODEs",
    "math.CO": "Combinatorics",
    "math.CT": "Category Theory",
    "math.CV": "Complex Variables",
    "math.DG": "Differential Geometry",
    "math.DS": "Dynamical Systems",
    "math.FA": "Functional Analysis",
    "math.GM": "General Mathematics",
    "math.GN": "General Topology",
    "math.GR": "Group Theory",
    "math.GT": "Geometric Topology",
    "math.HO": "History and Overview",
    "math.IT": "Information Theory",
    "math.KT": "K-Theory and Homology",
    "math.LO": "Logic",
    "math.MG": "Metric Geometry",
    "math.MP": "Mathematical Physics",
    "math.NA": "Numerical Analysis",
    "math.NT": "Number Theory",
    "math.OA": "Operator Algebras",
    "math.OC": "Optimization and Control",
    "math.PR": "Probability",
    "math.QA": "Quantum Algebra",
    "math.RA": "Rings and Algebras",
    "math.RT": "Representation Theory",
    "math.SG": "Symplectic Geometry",
    "math.SP": "Spectral Theory",
    "math.ST": "Statistics Theory",
    "astro-ph.CO": "Cosmology and Nongalactic Astrophysics",
    "astro-ph.EP": "Earth and Planetary Astrophysics",
    "astro-ph.GA": "Astrophysics of Galaxies",
    "astro-ph.HE": "High Energy Astrophysical Phenomena",
    "astro-ph.IM": "Instrumentation and Methods for Astrophysics",
    "astro-ph.SR": "Solar and Stellar Astrophysics",
    "cond-mat.dis-nn": "Disordered Systems and Neural Networks",
    "cond-mat.mes-hall": "Mesoscale and Nanoscale Physics",
    "cond-mat.mtrl-sci": "Materials Science",
    "cond-mat.other": "Other Condensed Matter",
    "cond-mat.quant-gas": "Quantum Gases",
    "cond-mat.soft": "Soft Condensed Matter",
    "cond-mat.stat-mech": "Statistical Mechanics",
    "cond-mat.str-el": "Strongly Correlated Electrons",
    "cond-mat.supr-con": "Superconductivity",
    "gr-qc": "General Relativity and Quantum Cosmology",
    "hep-ex": "High Energy Physics - Experiment",
    "hep-lat": "High Energy Physics - Lattice",
    "hep-ph": "High Energy Physics - Phenomenology",
    "hep-th": "High Energy Physics - Theory",
    "math-ph": "Mathematical Physics",
    "nlin.AO": "Adaptation and Self-Organizing Systems",
    "nlin.CD": "Chaotic Dynamics",
    "nlin.CG": "Cellular Automata and Lattice Gases",
    "nlin.PS": "Pattern Formation and Solitons",
    "nlin.SI": "Exactly Solvable and Integrable Systems",
    "nucl-ex": "Nuclear Experiment",
    "nucl-th": "Nuclear Theory",
    "physics.acc-ph": "Accelerator Physics",
    "physics.ao-ph": "Atmospheric and Oceanic Physics",
    "physics.app-ph": "Applied Physics",
    "physics.atm-clus": "Atomic and Molecular Clusters",
    "physics.atom-ph": "Atomic Physics",
    "physics.bio-ph": "Biological Physics",
    "physics.chem-ph": "Chemical Physics",
    "physics.class-ph": "Classical Physics",
    "physics.comp-ph": "Computational Physics",
    "physics.data-an": "Data Analysis, Statistics and Probability",
    "physics.ed-ph": "Physics Education",
    "physics.flu-dyn": "Fluid Dynamics",
    "physics.gen-ph": "General Physics",
    "physics.geo-ph": "Geophysics",
    "physics.hist-ph": "History and Philosophy of Physics",
    "physics.ins-det": "Instrumentation and Detectors",
    "physics.med-ph": "Medical Physics",
    "physics.optics": "Optics",
    "physics.plasm-ph": "Plasma Physics",
    "physics.pop-ph": "Popular Physics",
    "physics.soc-ph": "Physics and Society",
    "physics.space-ph": "Space Physics",
    "quant-ph": "Quantum Physics",
    "q-bio.BM": "Biomolecules",
    "q-bio.CB": "Cell Behavior",
    "q-bio.GN": "Genomics",
    "q-bio.MN": "Molecular Networks",
    "q-bio.NC": "Neurons and Cognition",
    "q-bio.OT": "Other Quantitative Biology",
    "q-bio.PE": "Populations and Evolution",
    "q-bio.QM": "Quantitative Methods",
    "q-bio.SC": "Subcellular Processes",
    "q-bio.TO": "Tissues and Organs",
    "q-fin.CP": "Computational Finance",
    "q-fin.EC": "Economics",
    "q-fin.GN": "General Finance",
    "q-fin.MF": "Mathematical Finance",
    "q-fin.PM": "Portfolio Management",
    "q-fin.PR": "Pricing of Securities",
    "q-fin.RM": "Risk Management",
    "q-fin.ST": "Statistical Finance",
    "q-fin.TR": "Trading and Market Microstructure",
    "stat.AP": "Applications",
    "stat.CO": "Computation",
    "stat.ME": "Methodology",
    "stat.ML": "Machine Learning",
    "stat.OT": "Other Statistics",
    "stat.TH": "Statistics Theory",
}

# Archives with subject classes, whose feeds list every category of the archive. The
# single-category archives (gr-qc, hep-th, quant-ph, ...) are already in CATEGORIES.
ARCHIVES: dict[str, str] = {
    "astro-ph": "Astrophysics (all categories)",
    "cond-mat": "Condensed Matter (all categories)",
    "cs": "Computer Science (all categories)",
    "econ": "Economics (all categories)",
    "eess": "Electrical Engineering and Systems Science (all categories)",
    "math": "Mathematics (all categories)",
    "nlin": "Nonlinear Sciences (all categories)",
    "physics": "Physics (all categories)",
    "q-bio": "Quantitative Biology (all categories)",
    "q-fin": "Quantitative Finance (all categories)",
    "stat": "Statistics (all categories)",
}

# Pairs of codes that arXiv treats as one category: a paper filed under either is listed
# in both, and either may be its primary category.
CATEGORY_ALIASES: dict[str, str] = {
    "math.ST": "stat.TH",
    "math.IT": "cs.IT",
    "math.NA": "cs.NA",
    "math.MP": "math-ph",
    "eess.SY": "cs.SY",
    "econ.GN": "q-fin.EC",
}
CATEGORY_ALIASES.update({alias: code for code, alias in list(CATEGORY_ALIASES.items())})

_MAX_SUGGESTIONS = 3
_SUGGESTION_CUTOFF = 0.6


def is_known_category(code: str) -> bool:
    """Return whether `code` is exactly a category or archive code (case-sensitive)."""
    return code in CATEGORIES or code in ARCHIVES


def category_name(code: str) -> str | None:
    """Return the name of a category or archive code, or None when it is unknown."""
    return CATEGORIES.get(code) or ARCHIVES.get(code)


def normalize_category(text: str) -> str:
    """Return the canonical code for `text`, ignoring case and surrounding spaces.

    Raises UnknownCategoryError, with up to three close codes as suggestions, when
    `text` is neither a category nor an archive.
    """
    key = text.strip().lower()
    code = _codes_by_lowercase().get(key)
    if code is not None:
        return code

    raise UnknownCategoryError(text, _suggest(key))


def search_categories(query: str, limit: int = 25) -> list[tuple[str, str]]:
    """Return up to `limit` `(code, name)` pairs matching `query`, best matches first.

    A code matches when it starts with or contains the query. A name matches when every
    word of the query starts one of its words. An empty query lists the taxonomy in order.
    """
    words = query.lower().split()
    if not words:
        return list(_all_entries())[:limit]

    needle = query.strip().lower()
    ranked: list[tuple[int, int, str, str]] = []
    for position, (code, name) in enumerate(_all_entries()):
        rank = _match_rank(needle, words, code.lower(), name.lower())
        if rank is not None:
            ranked.append((rank, position, code, name))

    ranked.sort()
    return [(code, name) for _, _, code, name in ranked[:limit]]


def _match_rank(needle: str, words: list[str], code: str, name: str) -> int | None:
    if code == needle:
        return 0
    if code.startswith(needle):
        return 1
    if needle in code:
        return 2

    name_words = name.replace("-", " ").replace(",", " ").split()
    if all(any(part.startswith(word) for part in name_words) for word in words):
        return 3
    if needle in name:
        return 4
    return None


def _suggest(key: str) -> tuple[str, ...]:
    # Ties in similarity are common between two-letter codes (cs.AJ is as close to cs.NA
    # as to cs.AI), so a longer common prefix breaks them.
    scored = []
    for lowered, code in _codes_by_lowercase().items():
        ratio = difflib.SequenceMatcher(None, key, lowered).ratio()
        if ratio >= _SUGGESTION_CUTOFF:
            prefix = len(os.path.commonprefix([key, lowered]))
            scored.append((-ratio, -prefix, code))
    scored.sort()
    return tuple(code for _, _, code in scored[:_MAX_SUGGESTIONS])


def _all_entries() -> list[tuple[str, str]]:
    return [*CATEGORIES.items(), *ARCHIVES.items()]


@cache
def _codes_by_lowercase() -> dict[str, str]:
    return {code.lower(): code for code, _ in _all_entries()}
