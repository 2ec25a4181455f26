"""Demo app sessions: a steady baseline per user, lifted for the people a campaign reached.

The before/after session charts need weeks of ordinary use before each campaign and a
visible rise once it starts, in both sessions per day and session length, for that
campaign's population. Sessions are a per-user Poisson process (each user has their own
activity level); a campaign adds extra sessions to its population from its start to its
end and lengthens their sessions in that window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from data.demo.events import numbered, timestamps
from data.demo.world import DAY, END, SESSIONS_START, Population, seconds, user_ids

MEDIAN_SESSION_SECONDS = 170.0


@dataclass(frozen=True)
class Lift:
    """A campaign's effect on its population's use of the app, from start to end."""

    users: np.ndarray
    start: int
    end: int
    sessions: float  # sessions per day multiplied by this
    length: float  # session length multiplied by this


def _uniform_sessions(
    rng: np.random.Generator, users: np.ndarray, rate: np.ndarray, start: int, end: int
) -> tuple[np.ndarray, np.ndarray]:
    counts = rng.poisson(rate * (end - start) / DAY)
    who = np.repeat(users, counts)
    return who, rng.integers(start, end, who.shape[0])


def sessions_frame(
    rng: np.random.Generator, population: Population, lifts: list[Lift]
) -> pl.DataFrame:
    """The `sessions` table for every user from SESSIONS_START to the end of the data."""
    everyone = np.arange(population.size)
    parts = [_uniform_sessions(rng, everyone, population.activity, seconds(SESSIONS_START), END)]
    for lift in lifts:
        extra = population.activity[lift.users] * (lift.sessions - 1.0)
        parts.append(_uniform_sessions(rng, lift.users, extra, lift.start, min(lift.end, END)))
    who = np.concatenate([p[0] for p in parts])
    started = np.concatenate([p[1] for p in parts])
    duration = rng.lognormal(np.log(MEDIAN_SESSION_SECONDS), 0.9, len(who))
    for lift in lifts:
        member = np.zeros(population.size, dtype=bool)
        member[lift.users] = True
        during = member[who] & (started >= lift.start) & (started < lift.end)
        duration = np.where(during, duration * lift.length, duration)
    order = np.lexsort((who, started))
    frame = pl.DataFrame(
        {
            "user_id": user_ids(who[order]),
            "t": pl.Series(started[order], dtype=pl.Int64),
            "duration_seconds": np.round(duration[order], 1),
        }
    )
    return frame.select(
        session_id=numbered("s", frame.height),
        user_id="user_id",
        started_at=timestamps(pl.col("t")),
        duration_seconds="duration_seconds",
    )
