"""Which beat and tempo a listener rates highest, learned per intent family from ratings.

A listener's own sessions give their peak directly: a quadratic fit of rating against the
hold's beat and tempo (in half-bands from the family's centre, so every family shares one
scale), ridge-regularised toward the answer of the level above. Ratings are centred per user
first: someone who rates everything 4 says nothing about *where* they like it.

Other listeners are summarised the same way, one peak per person, and a group's answer is the
average of its members' peaks (each weighted by how much its owner rated). Averaging peaks
rather than fitting one curve to everyone's ratings matters: people who like different spots
make a pooled rating curve flat or two-humped, and its fitted peak lands anywhere.

The levels are combined with empirical-Bayes weights n/(n+k): everyone else, then others of
your neurotype, then you. A user with few sessions gets mostly the neurotype's answer, a
neurotype with few members mostly everyone's, and no data at all gives the family's centre.
Each fit needs only its user's sufficient statistics (XᵀX, Xᵀr), gathered in one pass over the
rows, and a group's sums make "everyone but you" a subtraction.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from backend.insights.features import sessions_frame
from backend.schedules.hold import PlannerOffsets
from backend.schedules.intents import FAMILIES, IntentFamily

Source = Literal["user", "neurotype", "everyone", "default"]
Level = Literal["user", "neurotype", "everyone"]

K_USER = 8.0
"""A user's own peak gets half the weight at this many rated sessions in the family."""

K_PEERS = 3.0
"""A group's average peak gets half the weight against the level above at this many members."""

MIN_SESSIONS = 3
"""Fewer rated sessions in a family give a user no peak of their own: two cannot place one."""

MIN_PEER_USERS = 3
"""Pooled levels need sessions from this many other users, so a recommendation never
reveals one other person's preferences."""

BORROWED_TRUST = 0.5
"""Others' evidence counts half as much toward confidence as your own."""

CURVATURE_PRIOR = -1.0
"""Expected rating curvature (stars per half-band squared): ratings fall away from a peak."""

PRIOR_STRENGTH = 0.25
"""Ridge weight pulling each fit toward a bowl peaked at the level above's answer: a quarter of
a session's worth, enough to keep sparse or bunched-up sessions from putting the peak at a band
edge on noise, small enough that a few real contrasts move it (tuned on `simulation`)."""

_N_TERMS = 5  # 1, u, u², v, v²
_MIN_RATING_SPREAD = 1e-9


@dataclass(frozen=True)
class Band:
    """A family's hold band; converts between Hz/BPM and half-band units (-1..1 inside the band)."""

    centre_hz: float
    half_hz: float
    centre_bpm: float
    half_bpm: float

    @classmethod
    def of(cls, family: IntentFamily) -> "Band":
        low_hz, high_hz = family.beat_hz
        low_bpm, high_bpm = family.bpm
        return cls(
            centre_hz=(low_hz + high_hz) / 2,
            half_hz=max((high_hz - low_hz) / 2, 0.5),
            centre_bpm=(low_bpm + high_bpm) / 2,
            half_bpm=max((high_bpm - low_bpm) / 2, 1.0),
        )

    def offsets(self, u: float, v: float) -> PlannerOffsets:
        return PlannerOffsets(beat_hz=round(u * self.half_hz, 2), bpm=round(v * self.half_bpm, 1))


FAMILIES_BY_NAME: dict[str, IntentFamily] = {family.name: family for family in FAMILIES}
BANDS: dict[str, Band] = {family.name: Band.of(family) for family in FAMILIES}


@dataclass(frozen=True)
class _Stats:
    """Sufficient statistics of the quadratic fit over one user's sessions in one family."""

    xtx: npt.NDArray[np.float64]
    xtr: npt.NDArray[np.float64]
    rating_ss: float
    """Sum of squared centred ratings: zero means every rating was the same."""
    n_sessions: int


@dataclass(frozen=True)
class LevelEvidence:
    """What one level of evidence said before it was combined with the others."""

    level: Level
    n_sessions: int
    n_users: int
    weight: float
    """n/(n+k): the share this level gets against the levels above it."""
    beat_hz: float
    bpm: float


@dataclass(frozen=True)
class Recommendation:
    """The settings a user is likely to rate highest for one family, and why."""

    family: str
    offsets: PlannerOffsets
    """Relative to the family band's centre, as `plan_schedule(offsets=...)` takes them."""
    beat_hz: float
    bpm: float
    confidence: float
    """0 with no usable ratings; grows toward 1 with the user's own evidence (others' counts half)."""
    source: Source
    """The level that contributed most to the answer; "default" is the family's centre."""
    evidence: tuple[LevelEvidence, ...]
    """The levels that had enough data, most specific first."""


def default_recommendation(family: IntentFamily) -> Recommendation:
    """The family's centre with zero confidence: what the planner plays without any insight."""
    band = BANDS[family.name]
    return Recommendation(family.name, PlannerOffsets(), band.centre_hz, band.centre_bpm, 0.0, "default", ())


@dataclass(frozen=True)
class _Peak:
    u: float
    v: float


_CENTRE = _Peak(0.0, 0.0)


@dataclass(frozen=True)
class _UserFit:
    neurotype: str
    stats: _Stats
    peak: _Peak | None
    """What this user's ratings say on their own (fitted toward the centre); None if too little."""


@dataclass(frozen=True)
class _Group:
    """Some users' peaks as sums, each weighted by its owner's n/(n+K_USER): a group's answer
    leans toward the members who rated more."""

    weight: float = 0.0
    weighted_u: float = 0.0
    weighted_v: float = 0.0
    n_sessions: int = 0
    n_users: int = 0

    @classmethod
    def of(cls, fit: _UserFit) -> "_Group":
        if fit.peak is None:
            return cls()
        weight = _user_weight(fit.stats.n_sessions)
        return cls(weight, weight * fit.peak.u, weight * fit.peak.v, fit.stats.n_sessions, 1)

    def __add__(self, other: "_Group") -> "_Group":
        return _Group(
            self.weight + other.weight,
            self.weighted_u + other.weighted_u,
            self.weighted_v + other.weighted_v,
            self.n_sessions + other.n_sessions,
            self.n_users + other.n_users,
        )

    def __sub__(self, other: "_Group") -> "_Group":
        return _Group(
            self.weight - other.weight,
            self.weighted_u - other.weighted_u,
            self.weighted_v - other.weighted_v,
            self.n_sessions - other.n_sessions,
            self.n_users - other.n_users,
        )

    def peak(self) -> _Peak | None:
        if self.n_users < MIN_PEER_USERS or self.weight <= 0:
            return None
        return _Peak(self.weighted_u / self.weight, self.weighted_v / self.weight)


class PreferenceModel:
    """Every user's statistics and own peak per family, and group sums, fitted once over a frame.

    `recommend` is then cheap for any user, with or without rows of their own in the frame.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self._users: dict[tuple[str, int], _UserFit] = {}
        self._neurotypes: dict[tuple[str, str], _Group] = {}
        self._families: dict[str, _Group] = {}
        self._add_users(frame)

    def including(self, frame: pd.DataFrame) -> "PreferenceModel":
        """A copy in which the users in `frame` are described by `frame`'s rows (per family).

        For feeding one user's new sessions in without refitting everyone: pass all of that
        user's rows in the families concerned.
        """
        model = PreferenceModel.__new__(PreferenceModel)
        model._users = dict(self._users)
        model._neurotypes = dict(self._neurotypes)
        model._families = dict(self._families)
        model._add_users(frame)
        return model

    def _add_users(self, frame: pd.DataFrame) -> None:
        for family, user_id, fit in _user_fits(frame):
            previous = self._users.get((family, user_id))
            if previous is not None:
                self._neurotypes[family, previous.neurotype] -= _Group.of(previous)
                self._families[family] -= _Group.of(previous)
            self._users[family, user_id] = fit
            group = _Group.of(fit)
            self._neurotypes[family, fit.neurotype] = (
                self._neurotypes.get((family, fit.neurotype), _Group()) + group
            )
            self._families[family] = self._families.get(family, _Group()) + group

    def recommend(self, user_id: int, neurotype: str, family: IntentFamily) -> Recommendation:
        """Never raises: without usable ratings the answer is the family's default."""
        band = BANDS.get(family.name)
        if band is None:
            return default_recommendation(family)
        own = self._users.get((family.name, user_id))
        own_group = _Group() if own is None else _Group.of(own)
        everyone = self._families.get(family.name, _Group()) - own_group
        same_neurotype = self._neurotypes.get((family.name, neurotype), _Group())
        if own is not None and own.neurotype == neurotype:
            same_neurotype -= own_group

        peak, trust, evidence = _CENTRE, 0.0, []
        contributions: dict[Source, float] = {"default": 1.0}
        levels: tuple[tuple[Level, _Group], ...] = (("everyone", everyone), ("neurotype", same_neurotype))
        for level, group in levels:
            level_peak = group.peak()
            if level_peak is None:
                continue
            weight = group.n_users / (group.n_users + K_PEERS)
            peak = _blend(level_peak, peak, weight)
            trust = weight * BORROWED_TRUST + (1 - weight) * trust
            contributions = {source: share * (1 - weight) for source, share in contributions.items()}
            contributions[level] = weight
            evidence.append(_evidence(level, group.n_sessions, group.n_users, weight, level_peak, band))
        own_peak = None if own is None else _fit_peak(own.stats, prior=peak)
        if own is not None and own_peak is not None:
            weight = _user_weight(own.stats.n_sessions)
            peak = _blend(own_peak, peak, weight)
            trust = weight + (1 - weight) * trust
            contributions = {source: share * (1 - weight) for source, share in contributions.items()}
            contributions["user"] = weight
            evidence.append(_evidence("user", own.stats.n_sessions, 1, weight, own_peak, band))
        # Most specific wins a tie: "user" was added last.
        source = max(reversed(contributions), key=lambda name: contributions[name])
        offsets = band.offsets(peak.u, peak.v)
        return Recommendation(
            family=family.name,
            offsets=offsets,
            beat_hz=round(band.centre_hz + offsets.beat_hz, 2),
            bpm=round(band.centre_bpm + offsets.bpm, 1),
            confidence=round(trust, 3),
            source=source,
            evidence=tuple(reversed(evidence)),
        )


def _user_weight(n_sessions: int) -> float:
    return n_sessions / (n_sessions + K_USER)


def _blend(level: _Peak, above: _Peak, weight: float) -> _Peak:
    return _Peak(weight * level.u + (1 - weight) * above.u, weight * level.v + (1 - weight) * above.v)


def _evidence(
    level: Level, n_sessions: int, n_users: int, weight: float, peak: _Peak, band: Band
) -> LevelEvidence:
    return LevelEvidence(
        level=level,
        n_sessions=n_sessions,
        n_users=n_users,
        weight=round(weight, 3),
        beat_hz=round(band.centre_hz + peak.u * band.half_hz, 2),
        bpm=round(band.centre_bpm + peak.v * band.half_bpm, 1),
    )


def usable_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows that can be learned from: a known family, a rating 1-5 and finite beat and tempo."""
    if frame.empty:
        return sessions_frame([])
    finite = np.isfinite(frame[["rating", "beat_hz", "bpm"]].to_numpy(dtype=np.float64)).all(axis=1)
    keep = finite & frame["family"].isin(BANDS).to_numpy() & frame["rating"].between(1, 5).to_numpy()
    rows: pd.DataFrame = frame.loc[keep]
    return rows


def _user_fits(frame: pd.DataFrame) -> Iterator[tuple[str, int, _UserFit]]:
    """(family, user_id, fit) for every user with usable rows in a family."""
    rows = usable_rows(frame)
    if rows.empty:
        return
    groups = rows.groupby(["family", "user_id"], sort=False)
    codes = groups.ngroup().to_numpy()
    n_groups = int(codes.max()) + 1
    bands = [BANDS[name] for name in rows["family"]]
    centre_hz, half_hz = np.array([(b.centre_hz, b.half_hz) for b in bands]).T
    centre_bpm, half_bpm = np.array([(b.centre_bpm, b.half_bpm) for b in bands]).T
    # Half-band units; a model's schedule may hold outside the band, but not arbitrarily far.
    u = np.clip((rows["beat_hz"].to_numpy(dtype=np.float64) - centre_hz) / half_hz, -2.0, 2.0)
    v = np.clip((rows["bpm"].to_numpy(dtype=np.float64) - centre_bpm) / half_bpm, -2.0, 2.0)
    rating = rows["rating"].to_numpy(dtype=np.float64)
    counts = np.bincount(codes, minlength=n_groups)
    centred = rating - (np.bincount(codes, weights=rating, minlength=n_groups) / counts)[codes]

    design = np.column_stack([np.ones_like(u), u, u * u, v, v * v])
    products = (design[:, :, None] * design[:, None, :]).reshape(len(rows), -1)
    xx = np.stack([np.bincount(codes, weights=column, minlength=n_groups) for column in products.T], axis=1)
    xr = np.stack(
        [np.bincount(codes, weights=column * centred, minlength=n_groups) for column in design.T], axis=1
    )
    rr = np.bincount(codes, weights=centred * centred, minlength=n_groups)
    _, first = np.unique(codes, return_index=True)
    families = rows["family"].to_numpy()[first]
    user_ids = rows["user_id"].to_numpy()[first]
    neurotypes = rows["neurotype"].to_numpy()[first]
    for group in range(n_groups):
        stats = _Stats(xx[group].reshape(_N_TERMS, _N_TERMS), xr[group], float(rr[group]), int(counts[group]))
        fit = _UserFit(str(neurotypes[group]), stats, _fit_peak(stats, prior=_CENTRE))
        yield str(families[group]), int(user_ids[group]), fit


def _fit_peak(stats: _Stats, *, prior: _Peak) -> _Peak | None:
    """The peak of the fitted rating surface inside the band, or None without enough evidence.

    The fit is ridge regression toward a bowl whose peak is `prior` (the level above's answer):
    where the sessions say nothing (all at one point, say) the answer stays at `prior`.
    """
    if stats.n_sessions < MIN_SESSIONS or stats.rating_ss <= _MIN_RATING_SPREAD:
        return None
    prior_mean = np.array(
        [
            0.0,
            -2 * CURVATURE_PRIOR * prior.u,
            CURVATURE_PRIOR,
            -2 * CURVATURE_PRIOR * prior.v,
            CURVATURE_PRIOR,
        ]
    )
    # The intercept is free (a tiny ridge only keeps the system solvable in degenerate cases).
    penalty = np.diag([1e-9, *([PRIOR_STRENGTH] * (_N_TERMS - 1))])
    try:
        coefficients = np.linalg.solve(stats.xtx + penalty, stats.xtr + penalty @ prior_mean)
    except np.linalg.LinAlgError:
        return None
    if not np.isfinite(coefficients).all():
        return None
    return _Peak(_axis_peak(coefficients[1], coefficients[2]), _axis_peak(coefficients[3], coefficients[4]))


def _axis_peak(slope: float, curvature: float) -> float:
    """Where slope·x + curvature·x² is highest on [-1, 1]."""
    if curvature < 0:
        return float(np.clip(-slope / (2 * curvature), -1.0, 1.0))
    return 1.0 if slope > 0 else -1.0 if slope < 0 else 0.0
