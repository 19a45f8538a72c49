import { useEffect } from "react";

/** The session page's keys, as the shortcuts dialog lists them. */
export const SHORTCUTS: readonly { keys: string; action: string }[] = [
  { keys: "Space", action: "Play or pause" },
  { keys: "↑ / ↓", action: "Volume up or down (never above your cap)" },
  { keys: "?", action: "Show these shortcuts" },
];

export interface ShortcutHandlers {
  toggle: () => void;
  volume: (direction: 1 | -1) => void;
  help: () => void;
}

const TYPING = "input, textarea, select, [contenteditable='true']";
const ACTIVATES_ON_SPACE = `${TYPING}, button, a[href], summary, [role='button'], [role='checkbox'], [role='switch']`;

/**
 * The page's keyboard shortcuts, while `enabled`: Space plays or pauses, ↑/↓ move the volume, `?`
 * lists the keys. A key is left alone where it already means something: Space on a button or a
 * field, arrows in a field or slider, anything while a dialog is open or with a modifier held.
 */
export function useShortcuts(enabled: boolean, handlers: ShortcutHandlers): void {
  useEffect(() => {
    if (!enabled) return;
    const onKey = (event: KeyboardEvent): void => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      const target = event.target instanceof Element ? event.target : null;
      if (target?.closest("dialog[open]") || document.querySelector("dialog[open]")) return;
      if (event.key === " " && !target?.closest(ACTIVATES_ON_SPACE)) {
        event.preventDefault();
        handlers.toggle();
      } else if ((event.key === "ArrowUp" || event.key === "ArrowDown") && !target?.closest(TYPING)) {
        event.preventDefault();
        handlers.volume(event.key === "ArrowUp" ? 1 : -1);
      } else if (event.key === "?" && !target?.closest(TYPING)) {
        event.preventDefault();
        handlers.help();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [enabled, handlers]);
}
