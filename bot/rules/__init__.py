"""The rule language: parsing keyword and exclusion lines, matching, explaining, arXiv queries."""

from bot.rules.errors import RuleError
from bot.rules.explain import Explanation, LineExplanation, explain, format_explanation
from bot.rules.index import RuleIndex
from bot.rules.lexer import Token, TokenKind, tokenize
from bot.rules.match import (
    CompiledLine,
    CompiledRule,
    RuleMatch,
    compile_line,
    compile_rule,
)
from bot.rules.nodes import And, Field, Node, Not, Or, Term, iter_terms, positive_terms
from bot.rules.normalize import FoldedParts, PreparedText, fold, prepare, prepare_paper, split_words
from bot.rules.parser import parse_rule
from bot.rules.query import matches_rule_line, to_arxiv_query
from bot.rules.reference import evaluate, evaluate_rule
from bot.rules.terms import CompiledTerm, TermHit, compile_term

__all__ = [
    "And",
    "CompiledLine",
    "CompiledRule",
    "CompiledTerm",
    "Explanation",
    "Field",
    "FoldedParts",
    "LineExplanation",
    "Node",
    "Not",
    "Or",
    "PreparedText",
    "RuleError",
    "RuleIndex",
    "RuleMatch",
    "Term",
    "TermHit",
    "Token",
    "TokenKind",
    "compile_line",
    "compile_rule",
    "compile_term",
    "evaluate",
    "evaluate_rule",
    "explain",
    "fold",
    "format_explanation",
    "iter_terms",
    "matches_rule_line",
    "parse_rule",
    "positive_terms",
    "prepare",
    "prepare_paper",
    "split_words",
    "to_arxiv_query",
    "tokenize",
]
