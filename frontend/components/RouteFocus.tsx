"use client";

import { usePathname } from "next/navigation";
import { useEffect, useRef } from "react";

/**
 * After a client-side navigation, moves focus to the new page's main heading (its <h1>), so a
 * screen reader announces where you are and the keyboard starts from the top of the content.
 * Pages often show "Loading…" first: the heading is awaited until it appears. The first load is
 * left alone (the browser starts at the top already).
 */
export default function RouteFocus() {
  const pathname = usePathname();
  const first = useRef(true);

  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const main = document.getElementById("main");
    if (!main) return;
    const focusHeading = (): boolean => {
      const active = document.activeElement;
      if (active && active !== document.body && main.contains(active)) return true; // already focused there by someone
      const heading = main.querySelector("h1");
      if (!heading) return false;
      if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: false });
      return true;
    };
    if (focusHeading()) return;
    const observer = new MutationObserver(() => {
      if (focusHeading()) observer.disconnect();
    });
    observer.observe(main, { childList: true, subtree: true });
    return () => observer.disconnect();
  }, [pathname]);

  return null;
}
