"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";

import { api, saveToken, useMeQuery } from "@/lib/api";
import { useAppDispatch } from "@/stores/store";

export default function SiteHeader() {
  const { data: me } = useMeQuery();
  const dispatch = useAppDispatch();
  const router = useRouter();

  function signOut() {
    saveToken(null);
    dispatch(api.util.resetApiState());
    router.push("/login/");
  }

  return (
    <header className="site">
      <Link className="brand" href="/">
        NeuroTune
      </Link>
      <nav aria-label="Main">
        {me ? (
          <>
            <Link href="/">Start</Link>
            <Link href="/music/">Music</Link>
            <Link href="/history/">History</Link>
            <Link href="/settings/">Settings</Link>
            <button className="secondary" type="button" onClick={signOut}>
              Sign out {me.username}
            </button>
          </>
        ) : (
          <>
            <Link href="/login/">Sign in</Link>
            <Link href="/signup/">Create account</Link>
          </>
        )}
      </nav>
    </header>
  );
}
