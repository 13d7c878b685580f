"""Documents into chunks: text, Markdown and PDF (pypdf), split with overlap, with source, title and page."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import require_extra
from engine.knowledge.index import KnowledgeError

TEXT_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown", ".rst"})
SUFFIXES = TEXT_SUFFIXES | {".pdf"}
_HEADING = re.compile(r"^\s{0,3}#\s+(.+?)\s*#*\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Page:
    text: str
    number: int | None


@dataclass(frozen=True)
class Document:
    source: str
    title: str
    pages: list[Page]
    content_hash: str


def read_document(path: Path, source: str) -> Document:
    """The text of ``path`` by page (one page for text and Markdown); KnowledgeError if it cannot be read."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise KnowledgeError(f"{source}: cannot ingest '{suffix or 'no suffix'}' files (text, Markdown and PDF: "
                             f"{', '.join(sorted(SUFFIXES))})")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KnowledgeError(f"{source}: cannot read it ({exc.strerror})") from None
    digest = hashlib.sha256(raw).hexdigest()
    if suffix == ".pdf":
        return _pdf(path, source, digest)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise KnowledgeError(f"{source}: not UTF-8 text") from None
    heading = _HEADING.search(text) if suffix in (".md", ".markdown") else None
    return Document(source, heading.group(1) if heading else path.stem, [Page(text, None)], digest)


def _pdf(path: Path, source: str, digest: str) -> Document:
    require_extra("knowledge", "pypdf", f"reading the PDF {source}")
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        pages = [Page(page.extract_text() or "", number) for number, page in enumerate(reader.pages, 1)]
        title = str(reader.metadata.title) if reader.metadata and reader.metadata.title else path.stem
    except (PdfReadError, OSError, ValueError) as exc:
        raise KnowledgeError(f"{source}: not a readable PDF ({type(exc).__name__})") from None
    return Document(source, title, pages, digest)


def chunk_text(text: str, size: int, overlap: int) -> Iterator[str]:
    """Windows of at most ``size`` characters, each starting ``overlap`` characters before the last ended.

    Cuts fall on a paragraph, sentence or word boundary in the window's second half when there is one, and
    the overlap starts at the beginning of a word.

    >>> list(chunk_text("one two three four five six", 12, 4))
    ['one two', 'two three', 'three four', 'four five', 'five six']
    """
    text = re.sub(r"[ \t]+", " ", text).strip()
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            floor = start + size // 2
            for mark in ("\n\n", ". ", "\n", " "):
                cut = text.rfind(mark, floor, end)
                if cut > start:
                    end = cut + len(mark)
                    break
        piece = text[start:end].strip()
        if piece:
            yield piece
        if end >= len(text):
            return
        next_start = max(end - overlap, start + 1)
        while overlap and next_start > start + 1 and not text[next_start - 1].isspace():
            next_start -= 1
        start = next_start


def chunks_of(document: Document, size: int, overlap: int) -> list[tuple[str, str, dict[str, Any]]]:
    """(chunk id, text, metadata) of every chunk of ``document``."""
    found: list[tuple[str, str, dict[str, Any]]] = []
    for page in document.pages:
        for piece in chunk_text(page.text, size, overlap):
            metadata: dict[str, Any] = {"source": document.source, "title": document.title}
            if page.number is not None:
                metadata["page"] = page.number
            found.append((f"{document.source}#{len(found)}", piece, metadata))
    return found
