"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";

import Dialog from "@/components/Dialog";
import ErrorAlert from "@/components/ErrorAlert";
import type { Preset } from "@/lib/types";
import { useDeletePresetMutation, usePresetsQuery, useStartPresetMutation } from "./historyApi";

/** Your presets: start one (as kept, or planned again), or delete it after a confirmation. */
export default function PresetList() {
  const { data: presets, error } = usePresetsQuery();
  const [start, { isLoading: starting, error: startError }] = useStartPresetMutation();
  const [remove, { isLoading: removing, error: removeError, reset: resetRemove }] = useDeletePresetMutation();
  const [deleting, setDeleting] = useState<Preset | null>(null);
  const router = useRouter();

  async function startPreset(preset: Preset, replan: boolean) {
    const result = await start({ id: preset.id, replan });
    if ("data" in result && result.data) router.push(`/session/?id=${result.data.session_id}`);
  }

  async function confirmDelete() {
    if (!deleting) return;
    const result = await remove(deleting.id);
    if (!("error" in result)) setDeleting(null);
  }

  return (
    <section className="panel" aria-labelledby="presets-heading">
      <h2 id="presets-heading">Presets</h2>
      <ErrorAlert error={error ?? startError} />
      {presets && presets.length === 0 ? (
        <p className="muted">No presets yet. Save a session you liked as a preset to start it again in one step.</p>
      ) : null}
      {presets && presets.length > 0 ? (
        <ul className="cards-list" aria-label="Your presets">
          {presets.map((preset) => (
            <li key={preset.id} data-testid="preset">
              <h3 className="long-text">{preset.name}</h3>
              <p className="muted long-text">
                {preset.intent} · {preset.duration_min} min
                {preset.keeps_schedule ? " · keeps its schedule" : ""}
              </p>
              <div className="actions">
                <button className="primary" type="button" disabled={starting} onClick={() => void startPreset(preset, !preset.keeps_schedule)}>
                  Start<span className="visually-hidden"> {preset.name}</span>
                </button>
                {preset.keeps_schedule ? (
                  <button className="secondary" type="button" disabled={starting} onClick={() => void startPreset(preset, true)}>
                    Start planned again<span className="visually-hidden">: {preset.name}</span>
                  </button>
                ) : null}
                <button className="secondary" type="button" onClick={() => setDeleting(preset)}>
                  Delete<span className="visually-hidden"> {preset.name}</span>
                </button>
              </div>
            </li>
          ))}
        </ul>
      ) : null}
      <Dialog
        open={deleting !== null}
        title="Delete this preset?"
        onClose={() => {
          resetRemove();
          setDeleting(null);
        }}
      >
        <p className="long-text">
          “{deleting?.name}” will be gone; the sessions you played from it stay in your history.
        </p>
        <ErrorAlert error={removeError} />
        <button className="primary" type="button" disabled={removing} onClick={() => void confirmDelete()}>
          Delete preset
        </button>
        <button className="secondary" type="button" onClick={() => setDeleting(null)}>
          Keep it
        </button>
      </Dialog>
    </section>
  );
}
