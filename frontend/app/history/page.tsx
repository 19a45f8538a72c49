"use client";

import Link from "next/link";
import { useMemo } from "react";

import ErrorAlert from "@/components/ErrorAlert";
import InsightsPanel from "@/components/InsightsPanel";
import RatingChart from "@/components/RatingChart";
import PresetList from "@/features/history/PresetList";
import SessionList from "@/features/history/SessionList";
import { useFamilyOptionsQuery } from "@/features/session/sessionApi";
import { useInsightsQuery, useMeQuery } from "@/lib/api";
import "@/styles/history.css";

function History() {
  const { data: report, error } = useInsightsQuery();
  const { data: families } = useFamilyOptionsQuery();
  const labels = useMemo(() => new Map((families ?? []).map((f) => [f.family, f.label])), [families]);
  return (
    <>
      <h1 className="page-title">History</h1>
      <SessionList />
      <PresetList />
      <section className="panel" aria-labelledby="import-heading">
        <h2 id="import-heading">Sessions from other apps</h2>
        <p>
          <Link href="/import/">Import an SBaGen (.sbg) or Gnaural file</Link>: see it drawn and checked against the
          safety limits, then play it or keep it as a preset.
        </p>
      </section>
      <section className="panel" aria-labelledby="ratings-heading">
        <h2 id="ratings-heading">Your ratings over time</h2>
        <ErrorAlert error={error} />
        {report ? <RatingChart points={report.ratings_over_time} labels={labels} /> : null}
      </section>
      <InsightsPanel report={report} labels={labels} />
    </>
  );
}

export default function HistoryPage() {
  const { data: me, isLoading } = useMeQuery();
  if (isLoading) return <p className="muted">Loading…</p>;
  if (!me) {
    return (
      <section className="panel">
        <h1>History</h1>
        <p>
          <Link href="/login/">Sign in</Link> to see your sessions, ratings and presets.
        </p>
      </section>
    );
  }
  return <History />;
}
