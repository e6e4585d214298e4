"""Kind-independent syntax: filter text -> raw clauses, order_by text -> raw keys.

A raw clause still carries the entity word as written and the value as lexed; the per-kind
rules in :mod:`modelyard.query.grammar` give them meaning.

Grammar (keywords case-insensitive)::

    filter     := clause ( AND clause )*
    clause     := identifier comparator value
    identifier := touching WORD / `backtick` / "dquote" tokens, split at the first bare dot
    comparator := = | != | <> | == | < | <= | > | >= | LIKE | ILIKE | IN | NOT IN
                  | IS NULL | IS NOT NULL
    value      := 'string' | "string" | number | ( string [, string]* ) | bare word
    order_by   := identifier [ ASC | DESC ]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from modelyard.errors import InvalidParameterValue
from modelyard.query._lexer import Kind, Token, tokenize

__all__ = ["RawClause", "RawIdentifier", "RawValue", "parse_clauses", "parse_order_entry"]

_IDENT_KINDS = (Kind.WORD, Kind.BACKTICK, Kind.DQUOTE)


@dataclass(frozen=True)
class RawIdentifier:
    entity: str | None  # the entity word as written (unquoted), None without a prefix
    key: str
    text: str  # the identifier as written, for error messages


@dataclass(frozen=True)
class RawValue:
    kind: Literal["string", "number", "list", "none", "bare"]
    value: str | tuple[str, ...] | None
    text: str  # as written, for error messages


@dataclass(frozen=True)
class RawClause:
    identifier: RawIdentifier
    comparator: str  # upper case, single spaces: "NOT IN", "IS NOT NULL"
    value: RawValue


class _Cursor:
    def __init__(self, source: str, tokens: list[Token]) -> None:
        self.source = source
        self.tokens = tokens
        self.pos = 0

    def peek(self, ahead: int = 0) -> Token | None:
        i = self.pos + ahead
        return self.tokens[i] if i < len(self.tokens) else None

    def take(self) -> Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def at_end(self) -> bool:
        return self.pos >= len(self.tokens)

    def error(self, what: str) -> InvalidParameterValue:
        return InvalidParameterValue(f"Invalid filter {self.source!r}: {what}")


def _is_word(tok: Token | None, *words: str) -> bool:
    return tok is not None and tok.kind is Kind.WORD and tok.value.upper() in words


def _split_identifier(parts: list[Token]) -> RawIdentifier:
    """Split touching identifier tokens at the first dot outside quotes."""
    text = "".join(t.text for t in parts)
    entity_parts: list[str] = []
    key_parts: list[str] = []
    split = False
    for tok in parts:
        if split:
            key_parts.append(tok.value)
        elif tok.kind is Kind.WORD and "." in tok.value:
            left, right = tok.value.split(".", 1)
            entity_parts.append(left)
            key_parts.append(right)
            split = True
        else:
            entity_parts.append(tok.value)
    if not split:
        key = "".join(entity_parts).strip()
        if not key:
            raise InvalidParameterValue(f"Invalid identifier {text!r}: the key is empty")
        return RawIdentifier(None, key, text)
    entity = "".join(entity_parts).strip()
    key = "".join(key_parts).strip()
    if not entity or not key:
        raise InvalidParameterValue(
            f"Invalid identifier {text!r}. Identifiers are written '<entity>.<key>', "
            "e.g. metrics.accuracy or tags.`my key`"
        )
    return RawIdentifier(entity, key, text)


def _read_identifier(cur: _Cursor) -> RawIdentifier:
    first = cur.peek()
    if first is None:
        raise cur.error("expected an identifier at the end of the filter")
    if first.kind not in _IDENT_KINDS or _is_word(first, "AND", "OR", "NOT"):
        raise cur.error(f"expected an identifier, found {first.text!r} at position {first.start}")
    parts = [cur.take()]
    while (nxt := cur.peek()) is not None and nxt.kind in _IDENT_KINDS and parts[-1].touches(nxt):
        parts.append(cur.take())
    return _split_identifier(parts)


def _read_comparator(cur: _Cursor, ident: RawIdentifier) -> str:
    tok = cur.peek()
    if tok is None:
        raise cur.error(f"expected a comparator after {ident.text!r}")
    if tok.kind is Kind.OP:
        cur.take()
        return tok.value
    word = tok.value.upper() if tok.kind is Kind.WORD else ""
    if word in ("LIKE", "ILIKE", "IN"):
        cur.take()
        return word
    if word == "NOT" and _is_word(cur.peek(1), "IN"):
        cur.take(), cur.take()
        return "NOT IN"
    if word == "IS":
        cur.take()
        if _is_word(cur.peek(), "NULL"):
            cur.take()
            return "IS NULL"
        if _is_word(cur.peek(), "NOT") and _is_word(cur.peek(1), "NULL"):
            cur.take(), cur.take()
            return "IS NOT NULL"
        raise cur.error(f"expected NULL or NOT NULL after 'IS' following {ident.text!r}")
    raise cur.error(f"Invalid comparator {tok.text!r} after {ident.text!r}")


def _read_list(cur: _Cursor) -> RawValue:
    open_tok = cur.take()
    items: list[str] = []
    while True:
        tok = cur.peek()
        if tok is None:
            raise cur.error(f"unterminated value list starting at position {open_tok.start}")
        if tok.kind not in (Kind.SQUOTE, Kind.DQUOTE):
            raise cur.error(
                "a value list must contain quoted strings separated by commas, "
                f"found {tok.text!r} at position {tok.start}"
            )
        items.append(cur.take().value)
        sep = cur.peek()
        if sep is not None and sep.kind is Kind.COMMA:
            cur.take()
            continue
        if sep is not None and sep.kind is Kind.RPAREN:
            close = cur.take()
            return RawValue("list", tuple(items), cur.source[open_tok.start : close.end])
        found = "the end of the filter" if sep is None else repr(sep.text)
        raise cur.error(f"expected ',' or ')' in value list, found {found}")


def _read_value(cur: _Cursor, ident: RawIdentifier, comparator: str) -> RawValue:
    tok = cur.peek()
    if tok is None:
        raise cur.error(f"expected a value after {ident.text!r} {comparator}")
    if tok.kind is Kind.LPAREN:
        return _read_list(cur)
    cur.take()
    if tok.kind in (Kind.SQUOTE, Kind.DQUOTE):
        return RawValue("string", tok.value, tok.text)
    if tok.kind is Kind.NUMBER:
        return RawValue("number", tok.value, tok.text)
    if tok.kind in (Kind.WORD, Kind.BACKTICK):
        return RawValue("bare", tok.value, tok.text)
    raise cur.error(f"expected a value after {ident.text!r} {comparator}, found {tok.text!r}")


def parse_clauses(filter_string: str | None) -> list[RawClause]:
    """Parse ``a AND b AND ...``; an empty or blank filter gives no clauses."""
    if filter_string is None or not filter_string.strip():
        return []
    cur = _Cursor(filter_string, tokenize(filter_string))
    clauses: list[RawClause] = []
    while True:
        ident = _read_identifier(cur)
        comparator = _read_comparator(cur, ident)
        if comparator in ("IS NULL", "IS NOT NULL"):
            value = RawValue("none", None, "")
        else:
            value = _read_value(cur, ident, comparator)
        clauses.append(RawClause(ident, comparator, value))
        if cur.at_end():
            return clauses
        joiner = cur.take()
        if _is_word(joiner, "AND"):
            if cur.at_end():
                raise cur.error("expected a clause after the final 'AND'")
            continue
        if _is_word(joiner, "OR"):
            raise cur.error(
                f"'OR' at position {joiner.start} is not supported; join clauses with AND"
            )
        raise cur.error(
            f"unexpected {joiner.text!r} at position {joiner.start}; clauses are joined by AND"
        )


def parse_order_entry(entry: str) -> tuple[RawIdentifier, bool]:
    """Parse one ``order_by`` entry: ``<identifier> [ASC|DESC]``; ASC by default."""
    if not isinstance(entry, str) or not entry.strip():
        raise InvalidParameterValue(f"Invalid order_by clause {entry!r}: it is empty")
    cur = _Cursor(entry, tokenize(entry))
    try:
        ident = _read_identifier(cur)
    except InvalidParameterValue:
        raise InvalidParameterValue(
            f"Invalid order_by clause {entry!r}. Could not be parsed."
        ) from None
    ascending = True
    if not cur.at_end():
        tok = cur.take()
        if not _is_word(tok, "ASC", "DESC"):
            raise InvalidParameterValue(
                f"Invalid ordering key {tok.text!r} in order_by clause {entry!r}; "
                "expected ASC or DESC"
            )
        ascending = tok.value.upper() == "ASC"
    if not cur.at_end():
        extra = cur.peek()
        assert extra is not None
        raise InvalidParameterValue(
            f"Invalid order_by clause {entry!r}: unexpected {extra.text!r} at position {extra.start}"
        )
    return ident, ascending
