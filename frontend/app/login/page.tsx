"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";

import ErrorAlert from "@/components/ErrorAlert";
import { signedIn, useLoginMutation } from "@/lib/api";
import { useAppDispatch } from "@/stores/store";

/** Where to go after signing in: the page that asked (`?next=/history/`), never another site. */
function nextPath(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/";
}

export default function LoginPage() {
  const [login, { isLoading, error }] = useLoginMutation();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const router = useRouter();
  const dispatch = useAppDispatch();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const result = await login({ email, password });
    if ("data" in result && result.data) {
      dispatch(signedIn(result.data.token));
      router.push(nextPath(new URLSearchParams(window.location.search).get("next")));
    }
  }

  return (
    <section className="panel">
      <h1>Sign in</h1>
      <form onSubmit={submit}>
        <label htmlFor="email">Email</label>
        <input id="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <ErrorAlert error={error} />
        <button className="primary" type="submit" disabled={isLoading}>
          Sign in
        </button>
      </form>
      <p className="muted">
        New here? <Link href="/signup/">Create an account</Link> — it stays on this machine.
      </p>
    </section>
  );
}
