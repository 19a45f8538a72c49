"use client";

import { useSearchParams } from "next/navigation";
import { Suspense } from "react";

import SessionView from "@/features/session/SessionView";
import "@/styles/session.css";

function SessionFromQuery() {
  const id = Number(useSearchParams().get("id"));
  if (!Number.isInteger(id) || id < 1) return <p className="error">No session chosen.</p>;
  return <SessionView key={id} id={id} />;
}

export default function SessionPage() {
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <SessionFromQuery />
    </Suspense>
  );
}
