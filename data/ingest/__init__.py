"""The importers: the canonical CSV/Parquet/JSON format (`canonical`) and the vendor
exports (`vendors`), each file one transaction, with the bulk writers they share.

    python -m data.ingest PATH... [--format pinpoint|braze|clevertap] [--db URL]
"""

from data.ingest.canonical import (
    FileResult,
    import_files,
    main,
)

__all__ = [
    "FileResult",
    "import_files",
    "main",
]
