import { useEffect, useRef, useState, type RefObject } from "react";

/**
 * The width of an element in CSS pixels, following its resizes, so a chart can draw at its real
 * size (text stays readable on a phone instead of shrinking with a fixed viewBox). `fallback`
 * until the element is measured.
 */
export function useElementWidth<T extends HTMLElement>(fallback: number): [RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const measure = () => setWidth(Math.max(1, Math.round(element.getBoundingClientRect().width)));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}
