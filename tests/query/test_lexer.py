"""The tokenizer: kinds, positions, quoting and escapes."""

from __future__ import annotations

import pytest

from modelyard.errors import InvalidParameterValue
from modelyard.query._lexer import Kind, tokenize


def kinds(text: str) -> list[tuple[Kind, str]]:
    return [(t.kind, t.value) for t in tokenize(text)]


def test_tokens_of_a_clause() -> None:
    assert kinds("metrics.acc >= -1.5") == [
        (Kind.WORD, "metrics.acc"),
        (Kind.OP, ">="),
        (Kind.NUMBER, "-1.5"),
    ]
    assert kinds('tags.`my key` != "v"') == [
        (Kind.WORD, "tags."),
        (Kind.BACKTICK, "my key"),
        (Kind.OP, "!="),
        (Kind.DQUOTE, "v"),
    ]
    assert kinds("run_id IN ('a','b')") == [
        (Kind.WORD, "run_id"),
        (Kind.WORD, "IN"),
        (Kind.LPAREN, "("),
        (Kind.SQUOTE, "a"),
        (Kind.COMMA, ","),
        (Kind.SQUOTE, "b"),
        (Kind.RPAREN, ")"),
    ]


def test_touching_tokens() -> None:
    first, second, third = tokenize("`metrics`.`acc`")
    assert first.touches(second) and second.touches(third)
    a, b = tokenize("a `b`")[:2]
    assert not a.touches(b)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("'it''s'", "it's"),
        ("'it\\'s'", "it's"),
        ('"say ""hi"""', 'say "hi"'),
        ("'%_\\\\'", "%_\\"),
        ("''", ""),
    ],
)
def test_quoted_values(text: str, value: str) -> None:
    [tok] = tokenize(text)
    assert tok.value == value
    assert tok.text == text


@pytest.mark.parametrize(
    ("text", "number"), [("1", "1"), ("-2", "-2"), (".5", ".5"), ("1e-3", "1e-3"), ("+4.0", "+4.0")]
)
def test_numbers(text: str, number: str) -> None:
    assert kinds(text) == [(Kind.NUMBER, number)]


def test_minus_inside_a_word_is_part_of_it() -> None:
    assert kinds("metrics.val-1") == [(Kind.WORD, "metrics.val-1")]


@pytest.mark.parametrize(
    ("text", "needle"),
    [("a ~ 1", "'~' at position 2"), ("'open", "unterminated"), ("1abc", "'1' at position 0")],
)
def test_lexer_errors(text: str, needle: str) -> None:
    with pytest.raises(InvalidParameterValue) as err:
        tokenize(text)
    assert needle in str(err.value)
