"""/insights: what your ratings say about the settings you like. Only ever your own."""

from fastapi import APIRouter

from backend.insights import InsightsReport, insights_for
from backend.routers.deps import CurrentUser, DbSession
from backend.routers.responses import answers

router = APIRouter(prefix="/insights", tags=["insights"])


@router.get("/me", response_model=InsightsReport, responses=answers(401, 503))
async def my_insights(user: CurrentUser, db: DbSession) -> InsightsReport:
    """Recommendations per intent family, the evidence behind them, and your ratings over time."""
    return await insights_for(db, user)
