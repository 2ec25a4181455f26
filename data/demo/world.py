"""The fixed world the demo data lives in: calendar, users, devices and their time zones.

Every date is a constant (the demo never reads the clock), so a seed always gives the
same database. Times are kept as int64 seconds since `CALENDAR_START` while generating,
because numpy arithmetic on plain integers is what lets ten million events build in
seconds; they become UTC timestamps only when the frames are finished.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

DAY = 86_400
HOUR = 3_600
CALENDAR_START = dt.datetime(2026, 8, 1, tzinfo=dt.UTC)
CALENDAR_DAYS = 130  # through 2026-12-08: every local day an event can fall on
DATA_END = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
"""Exclusive end of all demo data: the newest events are on 2026-11-22."""
SESSIONS_START = dt.datetime(2026, 8, 10, tzinfo=dt.UTC)
"""Weeks of sessions before the first campaign (2026-09-07), for the before/after charts."""

ZONES = (
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kolkata",
    "America/Los_Angeles",
)
ZONE_SHARES = (0.30, 0.20, 0.20, 0.15, 0.15)

PLATFORMS = ("ios", "android", "web")
PLATFORM_SHARES = (0.45, 0.40, 0.15)
DEVICES_BY_PLATFORM = {
    "ios": ("iPhone 15", "iPhone 14", "iPhone 13", "iPhone SE", "iPad Air"),
    "android": ("Pixel 8", "Galaxy S24", "Galaxy A54", "Pixel 7a", "OnePlus 12"),
    "web": ("Chrome", "Safari", "Firefox", "Edge"),
}
DEVICE_SHARES = {
    "ios": (0.35, 0.25, 0.2, 0.1, 0.1),
    "android": (0.25, 0.3, 0.2, 0.15, 0.1),
    "web": (0.6, 0.2, 0.12, 0.08),
}
DEVICES = tuple(model for platform in PLATFORMS for model in DEVICES_BY_PLATFORM[platform])

TEST_USER_SHARE = 0.01
UNKNOWN_USER_SHARE = 0.003
"""Users that get events but have no `users` row (deleted profiles, late exports)."""
EVENT_DEVICE_SHARE = 0.9
"""Share of events that carry platform/device_model; the rest fall back to the user's."""


def seconds(moment: dt.datetime) -> int:
    """`moment` as seconds since CALENDAR_START, the generators' time axis."""
    return int((moment - CALENDAR_START).total_seconds())


def at(year: int, month: int, day: int, hour: int = 0) -> int:
    """A UTC wall time as seconds since CALENDAR_START."""
    return seconds(dt.datetime(year, month, day, hour, tzinfo=dt.UTC))


END = seconds(DATA_END)


def _utc_offsets() -> np.ndarray:
    """UTC offset in seconds of each zone on each calendar day (zones x days).

    Read at local noon: the generators only place local times between 07:00 and 24:00,
    never in the 01:00-03:00 hour a DST change moves, so the noon offset is exact for them.
    """
    offsets = np.zeros((len(ZONES), CALENDAR_DAYS), dtype=np.int64)
    for zone_index, name in enumerate(ZONES):
        zone = ZoneInfo(name)
        for day in range(CALENDAR_DAYS):
            noon = dt.datetime.combine(
                CALENDAR_START.date() + dt.timedelta(days=day), dt.time(12), tzinfo=zone
            )
            offset = noon.utcoffset()
            assert offset is not None
            offsets[zone_index, day] = int(offset.total_seconds())
    return offsets


UTC_OFFSETS = _utc_offsets()


def local_day(t: np.ndarray, zone: np.ndarray) -> np.ndarray:
    """Index of the local calendar day (in each user's zone) of UTC instants `t`."""
    utc_day = np.clip(t // DAY, 0, CALENDAR_DAYS - 1)
    day: np.ndarray = (t + UTC_OFFSETS[zone, utc_day]) // DAY  # numpy types indexing as Any
    return day


def local_to_utc(day: np.ndarray, second_of_day: np.ndarray, zone: np.ndarray) -> np.ndarray:
    """The UTC instant of local wall time `second_of_day` on local day `day` in `zone`."""
    clipped = np.clip(day, 0, CALENDAR_DAYS - 1)
    instant: np.ndarray = day * DAY + second_of_day - UTC_OFFSETS[zone, clipped]
    return instant


# Relative open activity by local weekday, Monday first: weekends and Fridays are busier.
WEEKDAY_WEIGHTS = np.array([0.62, 0.68, 0.72, 0.8, 0.95, 1.0, 0.92])
CALENDAR_START_WEEKDAY = CALENDAR_START.weekday()


def evening_opens(
    rng: np.random.Generator,
    after: np.ndarray,
    zone: np.ndarray,
    day_shares: tuple[float, ...] = (0.55, 0.3, 0.15),
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate open times after `after`, in the evening of the users' local days.

    Most opens land between 18:00 and 22:00 local time (a peak near 20:00, a thinner
    daytime spread), on the day of the message or one of the next ones. Returns the UTC
    times and a mask that thins them by weekday, so the punch card shows busier weekends:
    only the opens where the mask is true happen.
    """
    size = after.shape[0]
    later = rng.choice(len(day_shares), size=size, p=np.asarray(day_shares))
    evening = rng.random(size) < 0.8
    hour = np.where(
        evening,
        np.clip(rng.normal(20.0, 1.2, size), 17.5, 23.9),
        rng.uniform(7.0, 23.9, size),
    )
    second_of_day = (hour * HOUR).astype(np.int64)
    day = local_day(after, zone) + later
    t = local_to_utc(day, second_of_day, zone)
    too_early = t <= after
    t = np.where(too_early, local_to_utc(day + 1, second_of_day, zone), t)
    day = np.where(too_early, day + 1, day)
    weekday = (day + CALENDAR_START_WEEKDAY) % 7
    keep = rng.random(size) < WEEKDAY_WEIGHTS[weekday]
    return t, keep


@dataclass(frozen=True)
class Population:
    """Every demo user, as aligned arrays indexed by user number."""

    platform: np.ndarray  # index into PLATFORMS
    device: np.ndarray  # index into DEVICES
    zone: np.ndarray  # index into ZONES
    is_test: np.ndarray
    has_row: np.ndarray  # False for the few user_ids with no users row
    activity: np.ndarray  # sessions per day, before any campaign lifts it

    @property
    def size(self) -> int:
        return int(self.platform.shape[0])

    @property
    def test_users(self) -> np.ndarray:
        return np.flatnonzero(self.is_test)


def make_population(rng: np.random.Generator, size: int) -> Population:
    """`size` users with a platform, a device of that platform and a home zone."""
    platform = rng.choice(len(PLATFORMS), size=size, p=np.asarray(PLATFORM_SHARES))
    device = np.zeros(size, dtype=np.int64)
    first = 0
    for index, name in enumerate(PLATFORMS):
        models = DEVICES_BY_PLATFORM[name]
        mine = platform == index
        device[mine] = first + rng.choice(
            len(models), size=int(mine.sum()), p=np.asarray(DEVICE_SHARES[name])
        )
        first += len(models)
    zone = rng.choice(len(ZONES), size=size, p=np.asarray(ZONE_SHARES))
    is_test = rng.random(size) < TEST_USER_SHARE
    has_row = rng.random(size) >= UNKNOWN_USER_SHARE
    activity = rng.gamma(shape=2.0, scale=0.03, size=size)
    return Population(platform, device, zone, is_test, has_row, activity)


def user_ids(users: np.ndarray) -> pl.Series:
    """The text user_id of user numbers, e.g. 42 -> `u0000042`."""
    digits = pl.Series("user_id", users, dtype=pl.Int64).cast(pl.String).str.zfill(7)
    return ("u" + digits).alias("user_id")


def users_frame(population: Population) -> pl.DataFrame:
    """The `users` table: every user except the few left without a row on purpose."""
    users = np.flatnonzero(population.has_row)
    return pl.DataFrame(
        {
            "user_id": user_ids(users),
            "platform": pl.Series(PLATFORMS).gather(population.platform[users]),
            "device_model": pl.Series(DEVICES).gather(population.device[users]),
            "is_test": population.is_test[users],
        }
    )


def pick(labels: Sequence[str | None], codes: np.ndarray) -> pl.Series:
    """Text labels (None for NULL) of integer codes, without a Python loop over rows."""
    return pl.Series(list(labels), dtype=pl.String).gather(codes)


def audience(rng: np.random.Generator, population: Population, size: int) -> np.ndarray:
    """`size` distinct users for one campaign, test users always included, sorted.

    Test profiles (developers) are in every audience, as in real workspaces where they
    receive everything they are targeted with.
    """
    size = min(size, population.size)
    chosen = rng.choice(population.size, size=size, replace=False)
    return np.union1d(chosen, population.test_users)
