"use client";

import { useId, useState } from "react";

import { errorMessage } from "@/lib/api";
import type { IntentFamily } from "@/lib/types";
import { useAppDispatch } from "@/stores/store";
import { useFamilyOptionsQuery, useReplanSessionMutation } from "./sessionApi";
import { scheduleReplaced } from "./sessionSlice";

interface Props {
  sessionId: number;
  label: string;
  family: string;
}

/**
 * "Not Focus / study? → choose": a misread intent fixed in one tap. Choosing a family plans the
 * session again from now on (POST /sessions/{id}/replan); the past and what already plays stay.
 */
export default function FamilyCorrection({ sessionId, label, family }: Props) {
  const dispatch = useAppDispatch();
  const [open, setOpen] = useState(false);
  const listId = useId();
  const { data: families, error: listError } = useFamilyOptionsQuery(undefined, { skip: !open });
  const [replan, { isLoading, error }] = useReplanSessionMutation();

  async function choose(chosen: IntentFamily) {
    const result = await replan({ id: sessionId, family: chosen });
    if (result.data) {
      dispatch(scheduleReplaced(result.data.schedule));
      setOpen(false);
    }
  }

  return (
    <div className="family-correction">
      <button className="secondary" type="button" aria-expanded={open} aria-controls={listId} onClick={() => setOpen(!open)}>
        Not {label}? Choose
      </button>
      {open ? (
        <div id={listId} role="group" aria-label="Plan it as">
          {listError ? <p className="error">{errorMessage(listError)}</p> : null}
          {families === undefined && !listError ? <p className="muted">Loading the kinds of session…</p> : null}
          {families
            ?.filter((option) => option.family !== family)
            .map((option) => (
              <button key={option.family} className="secondary" type="button" disabled={isLoading} onClick={() => void choose(option.family)}>
                {option.label}
              </button>
            ))}
          {error ? (
            <p className="error" role="alert">
              {errorMessage(error)}
            </p>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
