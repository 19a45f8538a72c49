"use client";

import ScheduleChart from "@/components/ScheduleChart";
import SessionTimer from "@/components/SessionTimer";
import { useAppSelector } from "@/stores/store";
import { selectElapsedSec, selectSchedule } from "./sessionSlice";

/** The clock and the schedule with "now" on it: the part of the page that moves every second. */
export default function SessionProgress() {
  const schedule = useAppSelector(selectSchedule);
  const elapsedSec = useAppSelector(selectElapsedSec);
  if (!schedule) return null;
  return (
    <>
      <SessionTimer elapsedSec={elapsedSec} totalSec={schedule.total_duration_sec} />
      <ScheduleChart schedule={schedule} positionSec={elapsedSec} />
    </>
  );
}
