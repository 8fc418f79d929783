"""Tests for tokenizing and parsing rule lines: operators, precedence, terms, fields, errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rules import (
    And,
    Field,
    Node,
    Not,
    Or,
    RuleError,
    Term,
    TokenKind,
    compile_rule,
    explain,
    parse_rule,
    positive_terms,
    prepare,
    to_arxiv_query,
    tokenize,
)


def word(*words: str, field: Field = Field.ALL, prefix: bool = False) -> Term:
    return Term(words, field, prefix)


A, B, C = word("a"), word("b"), word("c")


# Operators and precedence


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("a AND b", And((A, B))),
        ("a OR b", Or((A, B))),
        ("NOT a", Not(A)),
        ("a ANDNOT b", And((A, Not(B)))),
        ("a AND NOT b", And((A, Not(B)))),
        ("a NOT b", And((A, Not(B)))),
        ("a AND b AND c", And((A, B, C))),
        ("a OR b OR c", Or((A, B, C))),
        ("a OR b AND c", Or((A, And((B, C))))),
        ("a AND b OR c", Or((And((A, B)), C))),
        ("NOT a AND b", And((Not(A), B))),
        ("NOT a OR b", Or((Not(A), B))),
        ("a OR b ANDNOT c", Or((A, And((B, Not(C)))))),
        ("a ANDNOT b ANDNOT c", And((A, Not(B), Not(C)))),
        ("NOT NOT a", Not(Not(A))),
        ("(a OR b) AND c", And((Or((A, B)), C))),
        ("a AND (b OR c)", And((A, Or((B, C))))),
        ("NOT (a OR b)", Not(Or((A, B)))),
        ("a ANDNOT (b OR c)", And((A, Not(Or((B, C)))))),
        ("(a AND b) AND c", And((And((A, B)), C))),
        ("((a))", A),
        ("(a)", A),
    ],
)
def test_operator_precedence(line: str, expected: Node) -> None:
    assert parse_rule(line) == expected


def test_operators_need_no_spaces_around_parentheses() -> None:
    assert parse_rule("(a)OR(b)") == Or((A, B))


@pytest.mark.parametrize(
    "line", ["LLM and agent", "LLM And agent", "LLM or agent", "LLM not agent"]
)
def test_operator_not_upper_case_is_word(line: str) -> None:
    assert parse_rule(line) == Term(tuple(line.lower().split()))


def test_quoted_operator_is_word() -> None:
    assert parse_rule('LLM "AND" agent') == word("llm", "and", "agent")


# Terms and phrases


def test_words_side_by_side_form_phrase() -> None:
    assert parse_rule("vision language model") == parse_rule('"vision language model"')


def test_words_and_quotes_form_one_phrase() -> None:
    assert parse_rule('LLM "vision language"') == word("llm", "vision", "language")


def test_hyphen_and_slash_split_words() -> None:
    assert parse_rule("vision-language/model") == word("vision", "language", "model")


@pytest.mark.parametrize(
    "line", ["\u201cvision language\u201d", "\u201evision language\u201c", '"vision language"']
)
def test_typographic_quotes_quote_phrase(line: str) -> None:
    assert parse_rule(line) == word("vision", "language")


def test_parenthesis_inside_quotes_is_text() -> None:
    assert parse_rule('"(vision) language"') == word("(vision)", "language")


def test_word_folds_case_and_accents() -> None:
    assert parse_rule("Schrödinger") == word("schrodinger")


def test_term_keeps_text_and_position() -> None:
    rule = parse_rule("LLM AND ti:vision model")
    assert isinstance(rule, And)
    assert rule.items[1] == word("vision", "model", field=Field.TITLE)
    assert rule.items[1].text == "ti:vision model"
    assert rule.items[1].position == 8


def test_not_keeps_operator_position() -> None:
    rule = parse_rule("LLM ANDNOT survey")
    assert isinstance(rule, And)
    assert rule.items[1].position == 4


# Prefixes


def test_star_makes_prefix() -> None:
    assert parse_rule("diffus*") == word("diffus", prefix=True)


def test_star_on_last_word_of_phrase() -> None:
    assert parse_rule("graph neural net*") == word("graph", "neural", "net", prefix=True)


def test_star_after_quoted_words() -> None:
    assert parse_rule('"graph neural" net*') == word("graph", "neural", "net", prefix=True)


def test_star_inside_quotes_is_text() -> None:
    assert parse_rule('"diffus*"') == word("diffus*")


def test_star_after_hyphen_word() -> None:
    assert parse_rule("vision-lang*") == word("vision", "lang", prefix=True)


# Fields


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("ti:diffusion", Field.TITLE),
        ("abs:diffusion", Field.ABSTRACT),
        ("au:diffusion", Field.AUTHOR),
        ("all:diffusion", Field.ALL),
    ],
)
def test_field_sets_term_field(line: str, field: Field) -> None:
    assert parse_rule(line) == word("diffusion", field=field)


def test_all_field_same_as_no_field() -> None:
    assert parse_rule("all:diffusion") == parse_rule("diffusion")


def test_field_applies_to_bare_phrase() -> None:
    expected = word("vision", "language", "model", field=Field.TITLE)
    assert parse_rule("ti:vision language model") == expected


def test_field_applies_to_quoted_phrase() -> None:
    expected = word("vision", "language", "model", field=Field.TITLE)
    assert parse_rule('ti:"vision language model"') == expected


def test_field_applies_to_prefix() -> None:
    assert parse_rule("abs:diffus*") == word("diffus", field=Field.ABSTRACT, prefix=True)


def test_field_in_each_operand() -> None:
    expected = And((word("llm", field=Field.TITLE), word("agent", field=Field.ABSTRACT)))
    assert parse_rule("ti:LLM AND abs:agent") == expected


def test_author_underscore_separates_words() -> None:
    assert parse_rule("au:del_maestro") == word("del", "maestro", field=Field.AUTHOR)


def test_author_folds_accents() -> None:
    assert parse_rule("au:Ramírez") == word("ramirez", field=Field.AUTHOR)


def test_category_code_lower_case() -> None:
    assert parse_rule("cat:cs.AI") == Term(("cs.ai",), Field.CATEGORY)


def test_category_code_any_case() -> None:
    assert parse_rule("cat:CS.ai") == parse_rule("cat:cs.AI")


def test_category_archive_wildcard() -> None:
    assert parse_rule("cat:cs.*") == Term(("cs",), Field.CATEGORY, prefix=True)


def test_category_archive_code_same_as_wildcard() -> None:
    assert parse_rule("cat:cs") == parse_rule("cat:cs.*")


def test_category_quoted_code() -> None:
    assert parse_rule('cat:"cs.AI"') == parse_rule("cat:cs.AI")


def test_single_category_archive_exact() -> None:
    assert parse_rule("cat:hep-th") == Term(("hep-th",), Field.CATEGORY, prefix=True)


def test_upper_case_field_is_word() -> None:
    assert parse_rule("Ti:sapphire laser") == word("ti:sapphire", "laser")


def test_unknown_field_is_word() -> None:
    assert parse_rule("foo:bar") == word("foo:bar")


def test_field_prefix_only_once() -> None:
    assert parse_rule("ti:au:x") == word("au:x", field=Field.TITLE)


# Positive terms and node identity


def test_positive_terms_skip_negated() -> None:
    rule = parse_rule("a AND NOT b OR NOT NOT c")
    assert positive_terms(rule) == (A, C)


def test_positive_terms_distinct_in_order() -> None:
    assert positive_terms(parse_rule("b OR (a AND b) OR A")) == (B, A)


def test_equal_rules_hash_equal() -> None:
    assert len({parse_rule("a OR b"), parse_rule("(A)  OR  b"), parse_rule("all:a OR b")}) == 1


# Tokens


def test_tokenize_field_then_phrase() -> None:
    tokens = tokenize('ti:"vision language"')
    assert [token.kind for token in tokens] == [TokenKind.FIELD, TokenKind.PHRASE]
    assert [token.position for token in tokens] == [0, 3]
    assert tokens[0].end == tokens[1].position


def test_tokenize_operators() -> None:
    tokens = tokenize("a AND b OR NOT c ANDNOT (d)")
    kinds = [token.kind for token in tokens]
    assert kinds == [
        TokenKind.WORD,
        TokenKind.AND,
        TokenKind.WORD,
        TokenKind.OR,
        TokenKind.NOT,
        TokenKind.WORD,
        TokenKind.ANDNOT,
        TokenKind.LEFT_PAREN,
        TokenKind.WORD,
        TokenKind.RIGHT_PAREN,
    ]


def test_tokenize_field_splits_word() -> None:
    tokens = tokenize("abs:diffus*")
    assert [(token.kind, token.text) for token in tokens] == [
        (TokenKind.FIELD, "abs:"),
        (TokenKind.WORD, "diffus*"),
    ]


# Invalid lines


@pytest.mark.parametrize(
    ("line", "position", "reason"),
    [
        ("(LLM OR", 7, 'missing ")"'),
        ("((a) OR b", 9, 'missing ")"'),
        ("a)", 1, 'unopened ")"'),
        ("(a))", 3, 'unopened ")"'),
        ("()", 0, "empty parentheses"),
        ("a AND ()", 6, "empty parentheses"),
        ("a OR", 2, "nothing after OR"),
        ("OR a", 0, "nothing before OR"),
        ("a OR OR b", 2, "nothing after OR"),
        ("a AND OR b", 2, "nothing after AND"),
        ("(OR a)", 1, "nothing before OR"),
        ("(a OR)", 3, "nothing after OR"),
        ("NOT", 0, "nothing after NOT"),
        ("a AND NOT", 6, "nothing after NOT"),
        ("NOT AND a", 0, "nothing after NOT"),
        ("a ANDNOT", 2, "nothing after ANDNOT"),
        ("ANDNOT a", 0, "nothing before ANDNOT"),
        ("(a) b", 4, 'missing AND or OR before "b"'),
        ("a (b)", 2, 'missing AND or OR before "("'),
        ("(a)(b)", 3, 'missing AND or OR before "("'),
        ('(a) "b"', 4, "missing AND or OR before a quoted phrase"),
        ("ti:", 0, "nothing after ti:"),
        ("ti: diffusion", 0, "nothing after ti:"),
        ("LLM AND abs:", 8, "nothing after abs:"),
        ("ti:(a OR b)", 0, "field ti: before a parenthesis"),
        ("vision ti:language", 7, "field ti: inside a phrase"),
        ('"vision" au:smith', 9, "field au: inside a phrase"),
        ("ti:--", 0, "no word to match"),
        ('ti:""', 3, "empty quotes"),
        ("dif*fusion", 3, "* inside a word"),
        ("*diffusion", 0, "* inside a word"),
        ("diffus**", 6, "* inside a word"),
        ("graph* neural", 5, "* before the last word of a phrase"),
        ("*", 0, "* without a word before it"),
        ("diffusion *", 10, "* without a word before it"),
        ("diffusion-*", 10, "* without a word before it"),
        ("cat:cs.XY", 4, "unknown category cs.XY"),
        ("cat:", 0, "nothing after cat:"),
        ("cat:cs.AI cs.LG", 10, "more than one code after cat:"),
        ("cat:cs.AI.*", 4, "cs.AI is not an archive"),
        ("cat:c*", 5, "* in a category code"),
        ('cat:"c*"', 6, "* in a category code"),
        ('cat:""', 4, "empty quotes"),
    ],
)
def test_invalid_line_position_and_reason(line: str, position: int, reason: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule(line)
    assert caught.value.reason == reason
    assert caught.value.position == position


def test_missing_parenthesis_message() -> None:
    with pytest.raises(RuleError) as caught:
        compile_rule(["(LLM OR"])
    expected = 'Invalid keyword "(LLM OR": missing ")" at position 7. Close the parenthesis.'
    assert str(caught.value) == expected


def test_unknown_category_hint_suggests_codes() -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule("cat:quantph")
    assert caught.value.hint == "Did you mean quant-ph?"


def test_unknown_category_hint_without_suggestion() -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule("cat:zzzzzz")
    assert "https://arxiv.org/category_taxonomy" in caught.value.hint


def test_invalid_exclusion_error_names_kind_and_index() -> None:
    with pytest.raises(RuleError) as caught:
        compile_rule(["LLM"], ["survey", "a OR"])
    assert caught.value.kind == "exclusion"
    assert caught.value.index == 1
    assert str(caught.value).startswith('Invalid exclusion "a OR": nothing after OR')


# Properties

# Fragments of the rule language, so that random lines reach deep into the parser.
_FRAGMENTS = [
    "a",
    "LLM",
    "vision-language",
    "AND",
    "OR",
    "NOT",
    "ANDNOT",
    "(",
    ")",
    '"',
    "\u201c",
    "\u201d",
    "\u201e",
    "*",
    "ti:",
    "abs:",
    "au:",
    "cat:",
    "all:",
    "Ti:",
    "cs.AI",
    "cs.*",
    "-",
    "/",
    "_",
    "é",
    "\u00ad",
    "\uff02",
]
_RULE_TEXT = st.lists(
    st.tuples(st.sampled_from(_FRAGMENTS), st.sampled_from(["", " "])), max_size=16
).map(lambda parts: "".join(fragment + space for fragment, space in parts))


SAMPLE = prepare("A multi-modal “LLM” (cs)", "Ab é ß, a/b a-b.", ["A. Bé", "a_b"], ["cs.AI"])


def _check_parse(line: str) -> None:
    try:
        rule = parse_rule(line)
    except RuleError as error:
        assert 0 <= error.position <= len(line)
        assert error.reason
        assert error.hint
        return
    assert isinstance(rule, Term | And | Or | Not)

    compiled = compile_rule([line])
    assert explain(compiled, SAMPLE).matched == (compiled.match_prepared(SAMPLE) is not None)
    try:
        query = to_arxiv_query(line)
    except RuleError as error:
        assert 0 <= error.position <= len(line)
    else:
        assert query


@settings(max_examples=500, deadline=None)
@given(line=st.text(max_size=80))
def test_parse_any_text_raises_only_rule_error(line: str) -> None:
    _check_parse(line)


@settings(max_examples=1000, deadline=None)
@given(line=_RULE_TEXT)
def test_parse_rule_fragments_raises_only_rule_error(line: str) -> None:
    _check_parse(line)
