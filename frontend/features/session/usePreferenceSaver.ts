import { useCallback, useEffect, useRef } from "react";

import { useUpdateMeMutation } from "@/lib/api";
import type { User, UserPreferences } from "@/lib/types";

const SAVE_DELAY_MS = 800;

/**
 * Saves preferences changed on the session page (balance, the mix, noise on or off) a moment
 * after the last change, as one PATCH /auth/me (preferences are replaced as a whole, so the
 * change is laid over the listener's current ones). A save that fails is tried again with the
 * next change, when the browser is back online, and when the page goes.
 */
export function usePreferenceSaver(me: User | undefined): (change: Partial<UserPreferences>) => void {
  const [update] = useUpdateMeMutation();
  const latest = useRef(me);
  const pending = useRef<Partial<UserPreferences>>({});
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    latest.current = me;
  }, [me]);

  const flush = useCallback(async () => {
    clearTimeout(timer.current);
    timer.current = undefined;
    const user = latest.current;
    const change = pending.current;
    if (!user || Object.keys(change).length === 0) return;
    pending.current = {};
    const result = await update({ preferences: { ...user.preferences, ...change } });
    if ("error" in result) pending.current = { ...change, ...pending.current };
  }, [update]);

  useEffect(() => {
    const retry = (): void => void flush();
    window.addEventListener("online", retry);
    return () => {
      window.removeEventListener("online", retry);
      void flush();
    };
  }, [flush]);

  return useCallback(
    (change: Partial<UserPreferences>) => {
      pending.current = { ...pending.current, ...change };
      clearTimeout(timer.current);
      timer.current = setTimeout(() => void flush(), SAVE_DELAY_MS);
    },
    [flush],
  );
}
