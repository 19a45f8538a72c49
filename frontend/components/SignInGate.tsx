"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";

import { useMeQuery } from "@/lib/api";

/** Pages anyone may see; every other page is about your own sessions, music or settings. */
const OPEN_PATHS = new Set(["/", "/login", "/signup"]);

/**
 * A page that needs an account is shown once /auth/me has said who you are, so it never asks the
 * server for your things while you are signed out (no 401s). Signed out, the visitor gets a page
 * that says so, with a heading and a way in, instead of that page's endless "Loading…". Only a
 * refusal (401) counts as signed out: offline, the page goes on and says what it cannot reach.
 */
export default function SignInGate({ children }: { children: ReactNode }) {
  const pathname = usePathname().replace(/\/$/, "") || "/";
  const { data: me, error } = useMeQuery();
  const refused = error !== undefined && "status" in error && error.status === 401;
  if (OPEN_PATHS.has(pathname) || me !== undefined || (error !== undefined && !refused)) return <>{children}</>;
  if (!refused) return <p className="muted">Loading…</p>;
  const next = encodeURIComponent(`${pathname}/${typeof window === "undefined" ? "" : window.location.search}`);
  return (
    <section className="panel">
      <h1>Sign in to continue</h1>
      <p>This page shows your own sessions, music and settings, so it needs you signed in.</p>
      <p>
        <Link href={`/login/?next=${next}`}>Sign in</Link> or <Link href="/signup/">create an account</Link> — it stays on
        this machine.
      </p>
    </section>
  );
}
