"""`python -m data.ingest`."""

import sys

from data.ingest.canonical import main

sys.exit(main())
