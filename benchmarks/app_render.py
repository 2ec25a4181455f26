"""How long the app takes to draw a campaign's Overview: cold (first view) and warm (seen).

    python -m benchmarks.app_render --db URL [--campaign ID] [--page overview]

Drives `main.py` headlessly with Streamlit's AppTest, as the app tests do: one run to learn
the pages, then the page with the campaign in the query string (cold: its report is not
cached yet), then the same page again (warm: the cache answers). Prints one JSON object
{"cold_s": ..., "warm_s": ...}. Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from data.database import PROJECT_ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.app_render")
    parser.add_argument("--db", required=True)
    parser.add_argument("--campaign", default="push_black_friday")
    parser.add_argument("--page", default="overview")
    args = parser.parse_args(argv)
    os.environ["CAMPAIGN_DB_URL"] = args.db
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(PROJECT_ROOT / "main.py"), default_timeout=600)
    app.run()
    app.query_params.clear()
    app.query_params["campaign"] = args.campaign
    started = time.perf_counter()
    app.switch_page(f"app_pages/{args.page}.py").run()
    cold = time.perf_counter() - started
    if app.exception:
        raise SystemExit(f"the page failed: {app.exception[0].value}")
    started = time.perf_counter()
    app.run()
    warm = time.perf_counter() - started
    print(json.dumps({"cold_s": round(cold, 3), "warm_s": round(warm, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
