"""Tests for parsing and matching keyword and exclusion lines."""

from __future__ import annotations

import json
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.rules import (
    RuleError,
    Term,
    TokenKind,
    compile_rule,
    fold,
    parse_rule,
    prepare,
    tokenize,
)
from tests.paths import CORPUS


@cache
def corpus_day(day: str) -> dict[str, dict]:
    with (CORPUS / "days" / f"{day}.jsonl").open(encoding="utf-8") as lines:
        papers = [json.loads(line) for line in lines]
    return {paper["id"]: paper for paper in papers}


def match(keywords: list[str], day: str, paper_id: str, exclusions: tuple[str, ...] = ()):
    paper = corpus_day(day)[paper_id]
    return compile_rule(keywords, exclusions).match(paper["title"], paper["abstract"])


def matched_terms(keywords: list[str], day: str, paper_id: str) -> tuple[str, ...]:
    result = match(keywords, day, paper_id)
    assert result is not None
    return result.terms


# Whole words


@pytest.mark.parametrize(
    ("day", "paper_id", "longer_word"),
    [
        ("2026-05-11", "2605.08897", "PIK3R1"),
        ("2025-11-09", "2511.03138", "TinyR1"),
        ("2026-05-11", "2509.15816", "MVR1"),
    ],
)
def test_word_inside_longer_word_no_match(day: str, paper_id: str, longer_word: str) -> None:
    assert longer_word.lower() in corpus_day(day)[paper_id]["abstract"].lower()
    assert match(["r1"], day, paper_id) is None


def test_word_after_letters_no_match() -> None:
    rule = compile_rule(["MLM", "r1"])
    assert rule.match("HTMLM parsing", "We parse pages written in HTMLM.") is None
    assert rule.match("Scores", "The model scored over1 on the task.") is None


def test_word_before_letters_no_match() -> None:
    rule = compile_rule(["GPT"])
    assert rule.match("GPT2 probes", "We probe GPT2 and GPT4o.") is None


def test_word_after_hyphen_matches() -> None:
    assert matched_terms(["r1"], "2025-07-13", "2507.08621") == ("R1",)


def test_word_before_hyphen_matches() -> None:
    assert "diffusion" in matched_terms(["diffusion"], "2025-07-13", "2507.08334")


def test_word_after_underscore_matches() -> None:
    result = compile_rule(["LLM"]).match("Tools", "We call the llm_router tool.")
    assert result is not None
    assert result.terms == ("llm",)


def test_word_any_case_matches() -> None:
    assert match(["mlm"], "2026-05-11", "2601.21484") is not None


def test_word_with_accent_folds() -> None:
    assert matched_terms(["levy"], "2026-05-11", "2605.10364") == ("Lévy",)


def test_accented_word_inside_longer_word_no_match() -> None:
    # The abstract also names "DeepLévy", which must not count as the word "Lévy".
    assert "DeepLévy" in corpus_day("2026-05-11")["2605.10364"]["abstract"]
    assert "DeepLévy" not in matched_terms(["Lévy"], "2026-05-11", "2605.10364")


def test_letter_without_decomposition_folds() -> None:
    assert matched_terms(["Lojasiewicz"], "2026-05-11", "2605.08966") == ("Łojasiewicz",)


def test_keyword_with_accent_matches_plain_text() -> None:
    result = compile_rule(["Poincaré"]).match("Embeddings", "A Poincare ball model.")
    assert result is not None
    assert result.terms == ("Poincare",)


# Plurals


def test_plural_s_matches() -> None:
    assert matched_terms(["VLM"], "2025-07-13", "2507.08496") == ("VLMs",)


def test_plural_ies_matches() -> None:
    assert matched_terms(["policy"], "2025-07-13", "2507.08440") == ("policies",)


def test_plural_ies_of_strategy_matches() -> None:
    assert "strategies" in matched_terms(["strategy"], "2025-07-13", "2507.08207")


def test_plural_es_matches() -> None:
    assert "processes" in matched_terms(["process"], "2025-07-13", "2507.08664")


def test_plural_on_first_word_no_match() -> None:
    rule = compile_rule(["model editing"])
    assert rule.match("Editing", "Models editing is hard.") is None


def test_plural_on_last_word_of_phrase_matches() -> None:
    terms = matched_terms(["Vision Language Model"], "2025-07-13", "2507.08607")
    assert "Vision-Language Models" in terms


# Hyphens, spaces and slashes


def test_phrase_matches_hyphenated_text() -> None:
    assert match(["Vision Language Model"], "2025-07-13", "2507.08496") is not None


def test_phrase_matches_slash_text() -> None:
    terms = matched_terms(["augmented virtual reality"], "2025-07-13", "2507.08448")
    assert terms == ("augmented/virtual reality",)


def test_hyphenated_keyword_matches_spaced_text() -> None:
    result = compile_rule(["vision-language model"]).match("Study", "A vision language model.")
    assert result is not None
    assert result.terms == ("vision language model",)


@pytest.mark.parametrize("text", ["multimodal", "multi-modal", "multi modal", "Multi/Modal"])
def test_hyphenated_keyword_matches_every_spelling(text: str) -> None:
    result = compile_rule(["multi-modal"]).match("Fusion", f"A {text} encoder.")
    assert result is not None
    assert result.terms == (text,)


def test_joined_keyword_matches_hyphenated_text() -> None:
    assert "multi-modal" in matched_terms(["multimodal"], "2025-07-13", "2507.08575")


def test_joined_keyword_no_match_spaced_text() -> None:
    assert compile_rule(["multimodal"]).match("Fusion", "A multi modal encoder.") is None


def test_phrase_needs_word_order() -> None:
    rule = compile_rule(["language vision model"])
    paper = corpus_day("2025-07-13")["2507.08607"]
    assert rule.match(paper["title"], paper["abstract"]) is None


def test_phrase_needs_adjacent_words() -> None:
    rule = compile_rule(["vision model"])
    assert rule.match("Study", "A vision-language model for robots.") is None


def test_phrase_not_across_sentence_punctuation() -> None:
    rule = compile_rule(["vision language"])
    assert rule.match("Study", "We study vision. Language comes later.") is None


def test_phrase_not_across_title_and_abstract() -> None:
    rule = compile_rule(["robot learning"])
    assert rule.match("Safe control for a robot", "Learning policies from data.") is None


def test_quoted_phrase_same_as_words() -> None:
    quoted = compile_rule(['"Vision Language Model"'])
    paper = corpus_day("2025-07-13")["2507.08607"]
    result = quoted.match(paper["title"], paper["abstract"])
    assert result is not None
    assert "Vision-Language Models" in result.terms


def test_quoted_and_is_a_word() -> None:
    rule = compile_rule(['"research AND development"'])
    assert rule.match("R&D", "Costs of research and development.") is not None


# AND lines and exclusions


def test_and_line_needs_every_term() -> None:
    paper = corpus_day("2025-11-09")["2511.05375"]
    both = compile_rule(["Reasoning AND agents"]).match(paper["title"], paper["abstract"])
    without_llm = compile_rule(["Reasoning AND LLM"]).match(paper["title"], paper["abstract"])
    assert both is not None
    assert without_llm is None


def test_and_terms_in_title_and_abstract_match() -> None:
    result = compile_rule(["robot AND learning"]).match("A robot", "Learning from data.")
    assert result is not None
    assert result.terms == ("robot", "Learning")


def test_match_lists_matched_lines_in_digest_order() -> None:
    result = match(["Diffusion", "GPT", "LLM", "DDPM"], "2025-07-13", "2507.08621")
    assert result is not None
    assert result.lines == ("GPT", "LLM")


def test_match_terms_in_text_order() -> None:
    assert matched_terms(["GPT", "LLM"], "2025-07-13", "2507.08621") == ("LLM", "GPT", "LLMs")


def test_match_spans_point_into_paper_text() -> None:
    paper = corpus_day("2026-05-11")["2605.08966"]
    result = compile_rule(["Lojasiewicz"]).match(paper["title"], paper["abstract"])
    assert result is not None
    text = f"{paper['title']} {paper['abstract']}"
    assert [text[start:end] for start, end in result.spans] == ["Łojasiewicz"]


def test_match_spans_merge_overlaps() -> None:
    result = compile_rule(["language model", "vision language"]).match(
        "VLM", "A vision language model."
    )
    assert result is not None
    assert result.spans == ((6, 27),)


def test_exclusion_rejects_matching_paper() -> None:
    paper = corpus_day("2026-05-11")["2605.10917"]
    rule = compile_rule(["Schrodinger"], ["robot AND Schrodinger"])
    assert "robots" in paper["abstract"]
    assert rule.match(paper["title"], paper["abstract"]) is None


def test_excluded_by_names_exclusion_line() -> None:
    paper = corpus_day("2026-05-11")["2605.10917"]
    rule = compile_rule(["Schrodinger"], ["Lévy", "robot AND Schrodinger"])
    assert rule.excluded_by(paper["title"], paper["abstract"]) == "robot AND Schrodinger"


def test_excluded_by_none_without_hit() -> None:
    paper = corpus_day("2026-05-11")["2605.10917"]
    rule = compile_rule(["Schrodinger"], ["2D"])
    assert rule.excluded_by(paper["title"], paper["abstract"]) is None


def test_exclusion_whole_word_only() -> None:
    rule = compile_rule(["reconstruction"], ["2D"])
    result = rule.match("Scene reconstruction", "We reconstruct scenes with 2DGS splats.")
    assert result is not None


def test_no_keyword_lines_match_everything() -> None:
    result = compile_rule([]).match("Anything", "At all.")
    assert result is not None
    assert result.lines == ()


def test_no_keyword_lines_still_exclude() -> None:
    assert compile_rule([], ["robot"]).match("A robot", "Learning.") is None


def test_prepared_text_shared_between_rules() -> None:
    paper = corpus_day("2025-07-13")["2507.08621"]
    text = prepare(paper["title"], paper["abstract"])
    assert compile_rule(["GPT"]).match_prepared(text) is not None
    assert compile_rule(["Diffusion"]).match_prepared(text) is None


# Invalid lines


@pytest.mark.parametrize(
    ("line", "position", "reason"),
    [
        ("", 0, "no word to match"),
        ("   ", 0, "no word to match"),
        ("--", 0, "no word to match"),
        ("LLM AND", 4, "nothing after AND"),
        ("AND LLM", 0, "nothing before AND"),
        ("LLM AND AND VLM", 4, "nothing after AND"),
        ("LLM AND --", 8, "no word to match"),
        ('"vision language', 0, "unclosed quote"),
        ('LLM AND "vision', 8, "unclosed quote"),
        ("vision language\u201d", 15, "unopened quote"),
        ('LLM ""', 4, "empty quotes"),
    ],
)
def test_invalid_line_position_and_reason(line: str, position: int, reason: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule(line)
    assert caught.value.position == position
    assert caught.value.reason == reason


def test_invalid_line_message() -> None:
    with pytest.raises(RuleError) as caught:
        compile_rule(["LLM AND"])
    expected = (
        'Invalid keyword "LLM AND": nothing after AND at position 4. '
        "Add a term after AND or remove it."
    )
    assert str(caught.value) == expected


def test_invalid_exclusion_names_kind_and_index() -> None:
    with pytest.raises(RuleError) as caught:
        compile_rule(["LLM"], ["2D", "AND 3D"])
    assert caught.value.kind == "exclusion"
    assert caught.value.index == 1
    assert caught.value.line == "AND 3D"


def test_compile_rule_rejects_single_string() -> None:
    with pytest.raises(TypeError):
        compile_rule("LLM")


def test_lowercase_operators_are_words() -> None:
    rule = parse_rule("research and development or not")
    assert rule == Term(("research", "and", "development", "or", "not"))


def test_quoted_operators_are_words() -> None:
    assert parse_rule('"LLM OR VLM"') == Term(("llm", "or", "vlm"))


def test_tokenize_typographic_quotes() -> None:
    tokens = tokenize("\u201cvision language\u201d AND LLM")
    assert [token.kind for token in tokens] == [TokenKind.PHRASE, TokenKind.AND, TokenKind.WORD]
    assert tokens[0].text == "vision language"


def test_fold_text() -> None:
    assert fold("Schrödinger\u2013Łojasiewicz\tSTRASSE") == "schrodinger-lojasiewicz strasse"


# Properties

_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
# Without "s", letters glued before a word can never spell the word plus a plural ending.
_GLUED = st.text(alphabet="abcdefghijklmnopqrtuvwxyz0123456789", min_size=1, max_size=4)
_SEPARATORS = st.sampled_from([" ", "-", "/", " - ", ", ", ". ", "(", ")"])


@given(word=_WORDS, before=_GLUED, after=_SEPARATORS)
def test_word_glued_after_alnum_never_matches(word: str, before: str, after: str) -> None:
    assert compile_rule([word]).match("", f"{before}{word}{after}") is None


@given(word=_WORDS, before=_SEPARATORS, after=_SEPARATORS)
def test_word_between_separators_always_matches(word: str, before: str, after: str) -> None:
    assert compile_rule([word]).match("", f"x{before}{word.upper()}{after}y") is not None


@given(line=st.text(max_size=40))
def test_compile_rule_raises_only_rule_error(line: str) -> None:
    try:
        rule = compile_rule([line])
    except RuleError as error:
        assert 0 <= error.position <= len(line)
    else:
        assert rule.keywords[0].text == line


# Large input


def test_match_largest_day() -> None:
    papers = list(corpus_day("2026-05-11").values())
    keywords = [
        "VLM",
        "MLM",
        "MLLM",
        "Multi-Modal Language Model",
        "Multimodal Language Model",
        "Vision Language Model",
    ]

    rule = compile_rule(keywords)
    matched = {paper["id"] for paper in papers if rule.match(paper["title"], paper["abstract"])}

    assert "2605.09900" in matched  # "The Gordian Knot for VLMs: ..."
    assert "2508.16070" in matched  # "... Vision Language Model in Walking Assistants"
    assert "2605.10870" not in matched  # "... A Rate-Distortion Framework for Agent Memory"
