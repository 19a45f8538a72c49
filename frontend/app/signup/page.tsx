"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";

import ErrorAlert from "@/components/ErrorAlert";
import { signedIn, useRegisterMutation } from "@/lib/api";
import { LISTENING_CHOICES, NEUROTYPE_CHOICES, labelWithHint } from "@/lib/preferenceOptions";
import type { Neurotype, UserPreferences } from "@/lib/types";
import { useAppDispatch } from "@/stores/store";

export default function SignupPage() {
  const [register, { isLoading, error }] = useRegisterMutation();
  const [username, setUsername] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [neurotype, setNeurotype] = useState<Neurotype>("neurotypical");
  const [layer, setLayer] = useState<UserPreferences["preferred_layer"]>("auto");
  const [reducedMotion, setReducedMotion] = useState(false);
  const router = useRouter();
  const dispatch = useAppDispatch();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const result = await register({
      username,
      email,
      password,
      neurotype,
      preferences: { preferred_layer: layer, reduced_motion: reducedMotion },
    });
    if ("data" in result && result.data) {
      dispatch(signedIn(result.data.token));
      router.push("/settings/?welcome=1");
    }
  }

  return (
    <section className="panel">
      <h1>Create your account</h1>
      <p className="muted">Everything stays on this computer. Nothing is sent anywhere else.</p>
      <form onSubmit={submit}>
        <label htmlFor="username">Name (3–50 letters, digits, . _ -)</label>
        <input id="username" required minLength={3} maxLength={50} pattern="[A-Za-z0-9_.\-]+" value={username} onChange={(e) => setUsername(e.target.value)} />
        <label htmlFor="email">Email</label>
        <input id="email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <label htmlFor="password">Password (at least 8 characters)</label>
        <input id="password" type="password" required minLength={8} autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        <label htmlFor="neurotype">What shapes your sessions</label>
        <select id="neurotype" value={neurotype} onChange={(e) => setNeurotype(e.target.value as Neurotype)}>
          {NEUROTYPE_CHOICES.map((choice) => (
            <option key={choice.value} value={choice.value}>
              {labelWithHint(choice)}
            </option>
          ))}
        </select>
        <label htmlFor="layer">How you listen</label>
        <select id="layer" value={layer} onChange={(e) => setLayer(e.target.value as UserPreferences["preferred_layer"])}>
          {LISTENING_CHOICES.map((choice) => (
            <option key={choice.value} value={choice.value}>
              {choice.label}
            </option>
          ))}
        </select>
        <label className="row">
          <input type="checkbox" checked={reducedMotion} onChange={(e) => setReducedMotion(e.target.checked)} /> Keep the
          visuals still
        </label>
        <ErrorAlert error={error} />
        <button className="primary" type="submit" disabled={isLoading}>
          Create account
        </button>
      </form>
    </section>
  );
}
