"""Tokenizer of the search-filter language.

The lexer knows nothing about search kinds; it cuts a filter or an ``order_by`` entry into
tokens with their positions, so that the parser can tell whether two tokens touch (an
identifier such as ``tags.`my key``` is several touching tokens).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from modelyard.errors import InvalidParameterValue

__all__ = ["Kind", "Token", "tokenize"]


class Kind(Enum):
    WORD = "word"  # bare identifier or keyword: tags.mlflow.runName, AND, LIKE
    BACKTICK = "backtick"  # `quoted identifier`
    DQUOTE = "dquote"  # "double quoted": an identifier part or a string value
    SQUOTE = "squote"  # 'single quoted': a string value
    NUMBER = "number"
    OP = "op"  # = != <> < <= > >= ==
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str  # the source text of the token, quotes included
    value: str  # the content: unquoted and unescaped for quoted tokens
    start: int
    end: int

    def touches(self, other: Token) -> bool:
        """True when ``other`` starts right where this token ends (no blank between)."""
        return self.end == other.start


_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?![\w.])")
_WORD = re.compile(r"[A-Za-z_.][\w.\-/:]*")
_OP = re.compile(r"!=|<>|<=|>=|==|=|<|>")
_SPACE = re.compile(r"\s+")
_PUNCT = {"(": Kind.LPAREN, ")": Kind.RPAREN, ",": Kind.COMMA}
_QUOTES = {"'": Kind.SQUOTE, '"': Kind.DQUOTE, "`": Kind.BACKTICK}


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """Read a quoted run starting at ``start``; a doubled quote or a backslash escapes."""
    quote = text[start]
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch == quote:
            if i + 1 < len(text) and text[i + 1] == quote:
                out.append(quote)
                i += 2
                continue
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise InvalidParameterValue(
        f"Invalid filter {text!r}: unterminated quoted text {text[start:]!r} at position {start}"
    )


def tokenize(text: str) -> list[Token]:
    """Cut ``text`` into tokens; an unknown character raises naming it and its position."""
    tokens: list[Token] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if m := _SPACE.match(text, i):
            i = m.end()
            continue
        if ch in _QUOTES:
            value, end = _read_quoted(text, i)
            tokens.append(Token(_QUOTES[ch], text[i:end], value, i, end))
            i = end
            continue
        if ch in _PUNCT:
            tokens.append(Token(_PUNCT[ch], ch, ch, i, i + 1))
            i += 1
            continue
        if (m := _NUMBER.match(text, i)) and not (ch in "+-" and _glued_to_word(tokens, i)):
            tokens.append(Token(Kind.NUMBER, m.group(), m.group(), i, m.end()))
            i = m.end()
            continue
        if m := _OP.match(text, i):
            tokens.append(Token(Kind.OP, m.group(), m.group(), i, m.end()))
            i = m.end()
            continue
        if m := _WORD.match(text, i):
            tokens.append(Token(Kind.WORD, m.group(), m.group(), i, m.end()))
            i = m.end()
            continue
        raise InvalidParameterValue(
            f"Invalid filter {text!r}: unexpected character {ch!r} at position {i}"
        )
    return tokens


def _glued_to_word(tokens: list[Token], pos: int) -> bool:
    return bool(tokens) and tokens[-1].end == pos and tokens[-1].kind is Kind.WORD
