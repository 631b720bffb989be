"""What a report quotes from its inputs (topology names, hostnames, annotation values, header values a probe saw,
a merged report's every string) is shown as text, never as markup: in Markdown (report.md, migration.md, which
land in pull-request summaries), in HTML (Jinja's autoescape, plus the two things it does not cover: a link's
scheme and an id's characters) and on the terminal (rich markup and control characters).

Markdown, as GitHub renders it (cmark-gfm, the renderer tests/report/test_escaping.py runs): ``md`` escapes what
would make a link, an image, raw HTML, emphasis, a code span, a table cell, a heading or an autolink; ``md_code``
makes a code span that holds any text. Not neutralised: e-mail addresses (cmark-gfm links them whatever the
escapes; a mailto: link does nothing by itself) and @mentions (plain text to Markdown).
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

from ..untrusted import clean

_MD = re.compile(r"[\\`*\[\]<|~&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")  # an intraword _ emphasises nothing
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*):(?=//)")
_WWW = re.compile(r"(?i)\bwww\.")
_LEADING = re.compile(r"^(?:[-+=#>]|\d+[.)])")
_ID = re.compile(r"[^A-Za-z0-9_-]+")


def md(value: object, start: bool = False) -> str:
    """Text from an input, on one line of Markdown, shown as it is (``start``: it starts a line or a list item,
    where a leading - + = # > or 1. would start a block)."""
    text = _MD.sub(lambda m: "\\" + m.group(), clean(str(value)))
    text = _WWW.sub("www\\.", _SCHEME.sub(r"\1\\:", text))
    if start and _LEADING.match(text):  # a list marker, heading, quote or underline, should the text start a line
        text = "\\" + text if not text[0].isdigit() else re.sub(r"^(\d+)([.)])", r"\1\\\2", text)
    return text


def md_code(value: object, table: bool = False) -> str:
    """A code span holding an input's text as it is (``table``: inside a table cell, where | ends the cell)."""
    text = clean(str(value))
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    if text.startswith("`") or text.endswith("`") or not text.strip():
        text = f" {text} "
    return f"{fence}{text.replace('|', chr(92) + '|') if table else text}{fence}"


def md_spans(text: str) -> str:
    """Harness prose that marks settings as `code` (compare's hints) but holds input values: each `...` part a code
    span, the rest text, both escaped (a value with a backtick of its own can only shift which is which)."""
    parts = str(text).split("`")
    if len(parts) % 2 == 0:  # an odd number of backticks: no spans at all
        return md(text)
    return "".join(md_code(part) if i % 2 else md(part) for i, part in enumerate(parts))


def md_source(key: str, url: str | None = None) -> str:
    """A source key, linked to its address where this edgeconform knows the key (``url``: the report's, unused)."""
    known = source_url(key)
    if not known:
        return md(key)
    return f"[{md(key)}]({f'<{known}>' if '(' in known or ')' in known else known})"


def source_url(key: str) -> str | None:
    """The address of a source key, as this edgeconform knows it (edgeconform.sources): a report's own address for
    a key is never linked (a merged report could point [LBC-SA] anywhere); a key this version does not know is
    shown without a link."""
    from ..sources import ALL_KEYS

    return safe_url(ALL_KEYS.get(key)) if isinstance(key, str) else None


def safe_url(url: str | None) -> str | None:
    """An http(s) address with nothing that could leave its place in a link (quotes, brackets, spaces, control
    characters), else None."""
    if not url or any(ch in url for ch in "<>\"' \\`") or clean(url) != url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def html_id(prefix: str, *parts: str) -> str:
    """An id from input names: the names as they are when they are plain (letters, digits, - and _), else plain
    with a short hash of the names (two names that differ only in other characters stay apart)."""
    joined = "--".join(parts)
    plain = _ID.sub("-", joined)
    if plain == joined:
        return f"{prefix}-{joined}"
    return f"{prefix}-{plain}-{hashlib.sha256(joined.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


def terminal(value: object) -> str:
    """Text from an input, for a rich console: control characters shown as escapes, markup brackets escaped."""
    from rich.markup import escape

    return escape(clean(str(value)))
