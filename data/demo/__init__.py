"""The deterministic demo generator (`generator`) and its campaigns, one module per
channel.

    python -m data.demo [--db URL] [--events N] [--seed S] [--replace]
"""

from data.demo.generator import (
    DEFAULT_EVENTS,
    DEFAULT_SEED,
    build_demo,
    clear_demo_tables,
    ensure_demo_database,
    generate_demo,
    main,
    write_demo,
)

__all__ = [
    "DEFAULT_EVENTS",
    "DEFAULT_SEED",
    "build_demo",
    "clear_demo_tables",
    "ensure_demo_database",
    "generate_demo",
    "main",
    "write_demo",
]
