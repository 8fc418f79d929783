r"""Clean arXiv titles and abstracts: entities, HTML tags, LaTeX and whitespace.

LaTeX is converted piece by piece, and the text between the pieces is left alone. The
pieces are math (`$...$`, `$$...$$`, `\(...\)`, `\[...\]`), macros with their brace
arguments (`\'e`, `\emph{x}`) and brace groups (`{\em x}`). Converting whole abstracts
would be slow and would damage ordinary text, because LaTeX reads `%` as the start of a
comment and drops the rest of the line ("achieving 10% higher ...").
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache
from html import unescape

from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec
from pylatexenc.latex2text import get_default_latex_context_db as get_latex2text_context_db
from pylatexenc.latexwalker import LatexMacroNode
from pylatexenc.latexwalker import get_default_latex_context_db as get_latexwalker_context_db
from pylatexenc.macrospec import LatexContextDb, MacroSpec

log = logging.getLogger(__name__)

# pylatexenc logs a warning for every macro it cannot substitute, which would repeat for
# every odd abstract. The text falls back to the raw LaTeX instead (see _convert_latex).
logging.getLogger("pylatexenc").setLevel(logging.ERROR)

# The RSS description starts `arXiv:2403.15527v1 Announce Type: new \nAbstract: ...`.
_ANNOUNCE_PREFIX = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?",
    re.IGNORECASE,
)
_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]*>|<!--.*?-->", re.DOTALL)
_LATEX_HINT = re.compile(r"[$\\{]")
_LATEX_START = re.compile(r"\$\$|\$|\\\(|\\\[|\\[a-zA-Z]+\*?|\\[^a-zA-Z]|\{")
# Inline math as pandoc reads it: the opening `$` is followed by a non-space, the closing
# `$` follows a non-space and is not followed by a digit. So "$5 and $10" stays text.
_INLINE_MATH = re.compile(r"\$(?=[^\s$])(?:[^$\\]|\\.){1,400}?(?<=\S)\$(?!\d)", re.DOTALL)
_BRACE_TOKEN = re.compile(r"\\.|[{}]", re.DOTALL)
_MACRO_NAME = re.compile(r"\\[a-zA-Z]+")
_UNESCAPED_PERCENT = re.compile(r"(?<!\\)%")
_MATH_DELIMITERS = re.compile(r"^\$\$|\$\$$|^\$|\$$|^\\[(\[]|\\[)\]]$")
# Escaped special characters that need no conversion beyond dropping the backslash.
_ESCAPED_LITERALS = {"\\%": "%", "\\&": "&", "\\_": "_", "\\#": "#", "\\$": "$"}
# Accent commands written as `\'e`: the accent applies to the next character.
_ACCENT_SYMBOLS = frozenset("'`^\"~=.")
_MAX_GROUP_LENGTH = 1000
_MAX_GROUP_ARGUMENTS = 3

# Letters that NFKD leaves whole but readers treat as accented forms of ASCII letters.
_FOLD_EXTRA = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D",
     "ı": "i", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th"}
)  # fmt: skip


# Font, size and spacing declarations that pylatexenc does not know. They change only
# the look of what follows, so they are dropped (`{\em x}` -> `x`, `\left(` -> `(`).
_DECLARATIONS = frozenset(
    {
        "em", "it", "bf", "rm", "sl", "sf", "tt", "sc", "cal", "mit", "bm", "pmb", "itshape",
        "bfseries", "mdseries", "upshape", "slshape", "scshape", "rmfamily", "sffamily",
        "ttfamily", "normalfont", "left", "right", "middle", "big", "Big", "bigg", "Bigg",
        "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl", "Biggr", "displaystyle",
        "textstyle", "scriptstyle", "scriptscriptstyle", "limits", "nolimits", "footnotemark",
        "noindent", "centering", "raggedright", "small", "footnotesize", "scriptsize", "tiny",
        "large", "Large", "LARGE", "huge", "Huge", "normalsize", "hfill", "vfill",
    }
)  # fmt: skip
# Operator names written as macros. Those that pylatexenc lacks print as their name.
_OPERATORS = frozenset(
    {
        "arccos", "arcsin", "arctan", "arg", "cos", "cosh", "cot", "coth", "csc", "deg", "det",
        "dim", "exp", "gcd", "hom", "inf", "ker", "lg", "lim", "liminf", "limsup", "ln", "log",
        "max", "min", "Pr", "sec", "sin", "sinh", "sup", "tan", "tanh", "argmax", "argmin",
        "diag", "rank", "sgn", "sign", "erf", "poly", "polylog", "softmax", "Tr", "tr",
    }
)  # fmt: skip
_SYMBOLS = {"land": "∧", "lor": "∨", "lnot": "¬"}


def _render_unknown_macro(node: LatexMacroNode, l2tobj: LatexNodes2Text) -> str:
    # Macros missing from both databases are mostly the author's own (`\ours`, `\modelname`),
    # which arXiv also shows raw, so their name stays. A macro followed by a text
    # argument (`\mymacro{text}`) gives way to that text.
    arguments = node.nodeargd.argnlist if node.nodeargd and node.nodeargd.argnlist else []
    if any(arguments):
        return "".join(l2tobj.nodelist_to_text([arg]) for arg in arguments if arg)
    source = node.parsing_state.s
    end = node.pos + node.len
    if source.startswith("{", end) and not source.startswith("{}", end):
        return ""
    return f"\\{node.macroname}{node.macro_post_space}"


def _build_converter() -> tuple[LatexNodes2Text, LatexContextDb]:
    text_context = get_latex2text_context_db()
    extra = [MacroTextSpec(name, discard=True) for name in _DECLARATIONS]
    extra += [MacroTextSpec(name, simplify_repl=name) for name in _OPERATORS]
    extra += [MacroTextSpec(name, simplify_repl=symbol) for name, symbol in _SYMBOLS.items()]
    unknown = [spec for spec in extra if text_context.get_macro_spec(spec.macroname) is None]
    text_context.add_context_category("arxiv", macros=unknown)
    text_context.set_unknown_macro_spec(MacroTextSpec("", simplify_repl=_render_unknown_macro))

    # The default parser database reads \href and \underline without arguments, which
    # makes their text replacements fail.
    parser_context = get_latexwalker_context_db()
    parser_context.add_context_category(
        "arxiv", macros=[MacroSpec("href", "{{"), MacroSpec("underline", "{")], prepend=True
    )
    converter = LatexNodes2Text(
        latex_context=text_context, math_mode="text", strict_latex_spaces=False
    )
    return converter, parser_context


# Building pylatexenc's macro databases takes about 0.3 ms, and latex_to_text would
# rebuild the parser database on every call. Conversion only reads them, so one copy
# serves every call and thread.
_CONVERTER, _PARSER_CONTEXT = _build_converter()


def clean_text(text: str | None, *, html: bool = False) -> str:
    """Return `text` with entities decoded, LaTeX converted and whitespace collapsed.

    With `html=True` (the legacy RDF feed), HTML tags are removed first. Plain text keeps
    `<` and `>`, because abstracts write `$n<m$` and "a<b and c>d".
    """
    if not text:
        return ""
    if html:
        text = _HTML_TAG.sub(" ", text)
    text = unescape(text)
    text = latex_to_unicode(text)
    return collapse_whitespace(text)


def clean_title(text: str | None, *, html: bool = False) -> str:
    """Return a cleaned paper title (see clean_text)."""
    return clean_text(text, html=html)


def clean_abstract(text: str | None, *, html: bool = False) -> str:
    """Return a cleaned abstract without the RSS `arXiv:<id> Announce Type: ...` prefix."""
    if not text:
        return ""
    _, _, rest = split_announce_prefix(text)
    return clean_text(rest, html=html)


def split_announce_prefix(text: str) -> tuple[str | None, str | None, str]:
    """Split an RSS description into `(versioned_id, announce_type, abstract)`.

    The id and type are None when the description has no `arXiv:... Announce Type:` prefix.
    """
    match = _ANNOUNCE_PREFIX.match(text)
    if match is None:
        return None, None, text
    return match["id"], match["type"].lower(), text[match.end() :]


def collapse_whitespace(text: str) -> str:
    """Return `text` with every run of whitespace replaced by one space, and trimmed."""
    return " ".join(text.split())


def fold_accents(text: str) -> str:
    """Return `text` without accents (`Müller` -> `Muller`, `Łukasz` -> `Lukasz`) for matching."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_EXTRA))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def latex_to_unicode(text: str) -> str:
    """Convert the LaTeX pieces of `text` to Unicode and leave everything else unchanged."""
    if not _LATEX_HINT.search(text):
        return text

    parts: list[str] = []
    position = 0
    for start, end in _latex_spans(text):
        parts.append(text[position:start])
        parts.append(_convert_latex(text[start:end]))
        position = end
    parts.append(text[position:])
    return "".join(parts)


def _latex_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    position = 0
    while (match := _LATEX_START.search(text, position)) is not None:
        end = _span_end(text, match)
        if end is None:
            position = match.start() + 1
            continue
        spans.append((match.start(), end))
        position = end
    return spans


def _span_end(text: str, match: re.Match[str]) -> int | None:
    token = match.group()
    start = match.start()
    if token == "$$":
        close = text.find("$$", start + 2)
        return close + 2 if close > start + 2 else None
    if token == "$":
        inline = _INLINE_MATH.match(text, start)
        return inline.end() if inline else None
    if token in ("\\(", "\\["):
        closer = "\\)" if token == "\\(" else "\\]"
        close = text.find(closer, start + 2)
        return close + 2 if close >= 0 else None
    if token == "{":
        return _group_end(text, start)
    return _macro_end(text, match.end(), token)


def _macro_end(text: str, end: int, token: str) -> int:
    # `\'e` takes one following character, while `\'{e}` and `\emph{x}` take brace groups.
    if token[1:] in _ACCENT_SYMBOLS and end < len(text) and text[end] not in "{ \t\n":
        return end + 1
    if not token[1:].rstrip("*").isalpha() and token[1:] not in _ACCENT_SYMBOLS:
        return end
    for _ in range(_MAX_GROUP_ARGUMENTS):
        if end >= len(text) or text[end] != "{":
            break
        group_end = _group_end(text, end)
        if group_end is None:
            break
        end = group_end
    return end


def _group_end(text: str, start: int) -> int | None:
    depth = 0
    for token in _BRACE_TOKEN.finditer(text, start):
        if token.start() - start > _MAX_GROUP_LENGTH:
            return None
        if token.group() == "{":
            depth += 1
        elif token.group() == "}":
            depth -= 1
            if depth == 0:
                return token.end()
    return None


@lru_cache(maxsize=16384)
def _convert_latex(segment: str) -> str:
    literal = _ESCAPED_LITERALS.get(segment)
    if literal is not None:
        return literal

    # Abstracts never contain LaTeX comments, so `%` is a percent sign.
    source = _UNESCAPED_PERCENT.sub(r"\\%", segment)
    try:
        converted = _CONVERTER.latex_to_text(source, latex_context=_PARSER_CONTEXT)
    except Exception:  # pylatexenc raises assorted errors (IndexError, ...) on odd input.
        return _readable_fallback(segment)

    # An empty result is right for a lone `\footnotemark` but loses the text of
    # `$\texttt{abc}$`, so it is kept only when the segment has no text besides macro names.
    if not converted.strip() and any(char.isalnum() for char in _MACRO_NAME.sub("", segment)):
        return _readable_fallback(segment)
    return converted


def _readable_fallback(segment: str) -> str:
    # Raw LaTeX without the math delimiters is what arXiv readers are used to seeing.
    return _MATH_DELIMITERS.sub("", segment).strip() or segment
