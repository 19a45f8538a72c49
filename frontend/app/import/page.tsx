"use client";

import Link from "next/link";

import ImportSchedule from "@/features/schedules/ImportSchedule";
import { useMeQuery } from "@/lib/api";

export default function ImportPage() {
  const { data: me, isLoading } = useMeQuery();
  if (isLoading) return <p className="muted">Loading…</p>;
  if (!me) {
    return (
      <section className="panel">
        <h1>Import a session</h1>
        <p>
          <Link href="/login/">Sign in</Link> to import a session file.
        </p>
      </section>
    );
  }
  return (
    <>
      <h1 className="page-title">Import a session</h1>
      <ImportSchedule />
    </>
  );
}
