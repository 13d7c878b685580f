"""``tenantflow ingest``: files into one tenant's document index, re-indexing only what changed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from engine.knowledge.documents import SUFFIXES, chunks_of, read_document
from engine.knowledge.index import TenantKnowledge

COLLECTION = "documents"


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    chunks: int = 0
    failed: list[str] = field(default_factory=list)


def files_under(paths: Iterable[Path]) -> list[tuple[Path, str]]:
    """(file, source name) of every ingestible file named or under a named folder, sorted.

    A file's source name is its path from the named folder's parent (``docs/refunds.md`` for
    ``ingest docs``), or its own name when named directly. Hidden files and folders are skipped.
    """
    found: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir():
            found += [(p, (Path(path.resolve().name) / p.relative_to(path)).as_posix()) for p in sorted(path.rglob("*"))
                      if p.is_file() and p.suffix.lower() in SUFFIXES
                      and not any(part.startswith(".") for part in p.relative_to(path).parts)]
        else:
            found.append((path, path.name))
    return found


async def ingest(knowledge: TenantKnowledge, files: list[tuple[Path, str]], *, chunk_chars: int, overlap: int,
                 force: bool = False, progress: Callable[[str], None] | None = None) -> IngestReport:
    """Index ``files`` for the tenant; a file whose content hash is unchanged is skipped unless ``force``."""
    known = await knowledge.source_hashes(COLLECTION)
    report = IngestReport()
    for path, source in files:
        try:
            document = read_document(path, source)
        except Exception as exc:  # KnowledgeError: reported per file, the others go on
            report.failed.append(str(exc))
        else:
            previous = known.get(source)
            if previous == document.content_hash and not force:
                report.unchanged += 1
            else:
                report.chunks += await knowledge.put_source(
                    COLLECTION, source, chunks_of(document, chunk_chars, overlap), document.content_hash)
                if previous is None:
                    report.added += 1
                else:
                    report.updated += 1
        if progress is not None:
            progress(source)
    return report
