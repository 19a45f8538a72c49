"use client";

/**
 * Where the local language model is: loading (with a progress bar), ready, unavailable or off.
 * Schedules never wait for it: the planner answers at once and the model rewrites the future
 * of a session when it can, so this is information, not a gate.
 */
import { api, useHealthQuery } from "@/lib/api";
import { useAppSelector } from "@/stores/store";

const POLL_WHILE_LOADING_MS = 2000;

export default function ModelStatus() {
  // Poll only until the model has settled (ready, failed or off).
  const previous = useAppSelector(api.endpoints.health.select()).data;
  const settling = previous === undefined || previous.llm === "loading";
  const { data } = useHealthQuery(undefined, { pollingInterval: settling ? POLL_WHILE_LOADING_MS : 0 });
  const llm = data?.llm;
  if (!llm) return null;
  return (
    <p className="muted" role="status" aria-live="polite" data-testid="model-status">
      {llm === "loading" && (
        <>
          Local model: loading… the planner answers meanwhile.{" "}
          <progress aria-label="Loading the local model" />
        </>
      )}
      {llm === "ok" && "Local model: ready. It rewrites each session's coming steps within your safety limits."}
      {llm === "error" && `Local model unavailable (${data?.llm_error ?? "unknown reason"}); the planner answers.`}
      {llm === "disabled" && "Local model switched off; the rule-based planner answers."}
    </p>
  );
}
