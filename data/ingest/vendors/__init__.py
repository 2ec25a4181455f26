"""Importers for messaging vendors' event exports: Amazon Pinpoint, Braze Currents, CleverTap.

    python -m data.ingest PATH... --format pinpoint|braze|clevertap

Each vendor module maps one record onto the canonical schema (../shared/vendor-imports.md);
the rest (reading, batching, loading, derived rows, accounting) is shared. The public
surface is this module's names; the underscored modules are private helpers.
"""

from data.ingest.vendors._catalog import Goal
from data.ingest.vendors._importer import (
    VENDORS,
    VendorFileResult,
    VendorOptions,
    import_vendor_paths,
    write_vendor_rejects,
)

__all__ = [
    "VENDORS",
    "Goal",
    "VendorFileResult",
    "VendorOptions",
    "import_vendor_paths",
    "write_vendor_rejects",
]
