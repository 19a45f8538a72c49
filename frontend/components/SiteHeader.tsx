"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";

import { api, saveToken, useMeQuery } from "@/lib/api";
import { useHasStoredToken } from "@/lib/useHasStoredToken";
import { useAppDispatch } from "@/stores/store";

const ME_CACHE = "neurotune-me";

const SIGNED_IN_LINKS = [
  { href: "/", label: "Start" },
  { href: "/music/", label: "Music" },
  { href: "/history/", label: "History" },
  { href: "/settings/", label: "Settings" },
];

function withoutSlash(path: string): string {
  return path.replace(/\/$/, "") || "/";
}

/**
 * The site's header. A stored token shows the signed-in links at once (no flash of "Sign in"
 * while /auth/me answers); without one nothing is asked of the server.
 */
export default function SiteHeader() {
  const { data: me, isError } = useMeQuery();
  const hasToken = useHasStoredToken();
  const dispatch = useAppDispatch();
  const router = useRouter();
  const pathname = usePathname();
  const signedIn = me !== undefined || (hasToken && !isError);

  function signOut() {
    saveToken(null);
    // The service worker keeps the last /auth/me for offline use (scripts/serviceWorker.mjs): forget it.
    if ("caches" in window) void caches.delete(ME_CACHE);
    dispatch(api.util.resetApiState());
    router.push("/login/");
  }

  const here = withoutSlash(pathname);
  const link = (href: string, label: string) => (
    <Link key={href} href={href} aria-current={withoutSlash(href) === here ? "page" : undefined}>
      {label}
    </Link>
  );

  return (
    <header className="site">
      <Link className="brand" href="/">
        NeuroTune
      </Link>
      <nav aria-label="Main">
        {signedIn ? (
          <>
            {SIGNED_IN_LINKS.map(({ href, label }) => link(href, label))}
            <button className="secondary" type="button" onClick={signOut}>
              Sign out{me ? ` ${me.username}` : ""}
            </button>
          </>
        ) : (
          <>
            {link("/login/", "Sign in")}
            {link("/signup/", "Create account")}
          </>
        )}
      </nav>
    </header>
  );
}
