"""Keyword rules: parsing keyword and exclusion lines and matching them against papers."""

from bot.rules.errors import RuleError
from bot.rules.keywords import KeywordLine, Term, Token, TokenKind, parse_line, tokenize
from bot.rules.match import (
    CompiledLine,
    CompiledRule,
    CompiledTerm,
    RuleMatch,
    compile_rule,
    compile_term,
)
from bot.rules.normalize import PreparedText, fold, prepare, split_words

__all__ = [
    "CompiledLine",
    "CompiledRule",
    "CompiledTerm",
    "KeywordLine",
    "PreparedText",
    "RuleError",
    "RuleMatch",
    "Term",
    "Token",
    "TokenKind",
    "compile_rule",
    "compile_term",
    "fold",
    "parse_line",
    "prepare",
    "split_words",
    "tokenize",
]
