"""Sessions that sounded alike, grouped with k-means on their features, and how each group was rated."""

import numpy as np
import numpy.typing as npt
import pandas as pd

from backend.insights.features import FEATURE_COLUMNS, dominant_layer, dominant_noise
from backend.insights.model import MIN_PEER_USERS
from backend.insights.schemas import ClusterInsight, RatingStats

MAX_CLUSTERS = 6
SESSIONS_PER_CLUSTER = 5
"""About this many sessions per cluster, so each cluster's mean rating rests on a few ratings."""

_LAYER_COLUMNS = ("binaural_fraction", "isochronic_fraction", "ambient_fraction")


def cluster_insights(family_rows: pd.DataFrame, user_id: int, neurotype: str) -> list[ClusterInsight]:
    """Clusters of one family's sessions, with your ratings and (as aggregates) your peers'.

    Others' sessions shape the clusters only when at least `MIN_PEER_USERS` other people have
    some, and a cluster shows their sessions only when that many are in it; otherwise it
    describes yours alone. Empty when you have no sessions here.
    """
    own = (family_rows["user_id"] == user_id).to_numpy()
    if not own.any():
        return []
    if family_rows.loc[~own, "user_id"].nunique() < MIN_PEER_USERS:
        family_rows, own = family_rows.loc[own], own[own]
    labels = _labels(family_rows[list(FEATURE_COLUMNS)].to_numpy(dtype=np.float64))
    peers = family_rows.loc[~own]
    same_neurotype = (peers["neurotype"] == neurotype).to_numpy()
    clusters = []
    for label in np.unique(labels):
        in_cluster = labels == label
        mine = family_rows.loc[own & in_cluster]
        peer_members = peers.loc[in_cluster[~own]]
        # Every number shown comes from your sessions or from at least MIN_PEER_USERS others.
        shown = family_rows.loc[in_cluster] if _enough_people(peer_members) else mine
        if shown.empty:
            continue
        clusters.append(
            ClusterInsight(
                beat_hz=round(float(shown["beat_hz"].mean()), 2),
                bpm=round(float(shown["bpm"].mean()), 1),
                layer=dominant_layer(*(float(shown[column].mean()) for column in _LAYER_COLUMNS)),
                noise=dominant_noise(
                    float(shown["pink_noise_fraction"].mean()), float(shown["brown_noise_fraction"].mean())
                ),
                ramp_hz_per_sec=round(float(shown["ramp_hz_per_sec"].mean()), 3),
                you=_stats(mine),
                neurotype=_peer_stats(peer_members.loc[same_neurotype[in_cluster[~own]]]),
                everyone=_peer_stats(peer_members),
            )
        )
    return sorted(clusters, key=lambda cluster: (cluster.beat_hz, cluster.bpm))


def _labels(features: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
    """k-means labels on standardised features; k grows with the sessions, up to `MAX_CLUSTERS`."""
    features = np.nan_to_num(features)
    spread = features.std(axis=0)
    scaled = (features - features.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    distinct = len(np.unique(scaled.round(6), axis=0))
    k = min(MAX_CLUSTERS, distinct, max(1, len(scaled) // SESSIONS_PER_CLUSTER))
    if k <= 1:
        return np.zeros(len(scaled), dtype=np.intp)
    # Imported here: scikit-learn takes about a second to import, which every start-up of the
    # app and the CLI would otherwise pay for a report that is rarely asked for.
    from sklearn.cluster import KMeans

    labels: npt.NDArray[np.intp] = KMeans(n_clusters=k, n_init=1, random_state=0).fit_predict(scaled)
    return labels


def _stats(rows: pd.DataFrame) -> RatingStats:
    n = len(rows)
    return RatingStats(n_sessions=n, mean_rating=round(float(rows["rating"].mean()), 2) if n else None)


def _enough_people(rows: pd.DataFrame) -> bool:
    return bool(rows["user_id"].nunique() >= MIN_PEER_USERS)


def _peer_stats(rows: pd.DataFrame) -> RatingStats | None:
    """Others' ratings only as an aggregate over enough people."""
    return _stats(rows) if _enough_people(rows) else None
