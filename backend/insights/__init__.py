"""Learning from ratings: which beat and tempo each listener rates highest, per intent family.

`service` is the app's door (database reads, planner offsets, the /insights report); the verbs
over a sessions frame are in `recommend`; the method is described in `model`.
"""

from backend.insights.features import RatedSession, ScheduleFeatures, schedule_features, sessions_frame
from backend.insights.model import PreferenceModel, Recommendation
from backend.insights.recommend import best_rated_schedules, insights_report, planning_offsets, recommend
from backend.insights.schemas import InsightsReport
from backend.insights.service import Learned, insights_for, learned_for, load_rated_sessions

__all__ = [
    "InsightsReport",
    "Learned",
    "PreferenceModel",
    "RatedSession",
    "Recommendation",
    "ScheduleFeatures",
    "best_rated_schedules",
    "insights_for",
    "insights_report",
    "learned_for",
    "load_rated_sessions",
    "planning_offsets",
    "recommend",
    "schedule_features",
    "sessions_frame",
]
