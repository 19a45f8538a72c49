"""Enumerations shared by the database tables and the API schemas."""

from enum import StrEnum


class Neurotype(StrEnum):
    """How the user describes themselves; shapes the planner's schedules (spec §2.1)."""

    adhd = "adhd"
    autism = "autism"
    anxiety = "anxiety"
    depression = "depression"
    neurotypical = "neurotypical"
    other = "other"
