"use client";

import { useState } from "react";

import ErrorAlert from "@/components/ErrorAlert";
import type { SessionRecord } from "@/lib/types";
import { useHistoryPageQuery } from "./historyApi";
import PlayAgainDialog from "./PlayAgainDialog";
import SavePresetDialog from "./SavePresetDialog";
import SessionItem from "./SessionItem";

const PAGE = 20;

type Open = { kind: "again" | "preset"; session: SessionRecord } | null;

/** Your sessions, newest first, a page at a time, optionally only the favourites. */
export default function SessionList() {
  const [favouritesOnly, setFavouritesOnly] = useState(false);
  const [offset, setOffset] = useState(0);
  const [open, setOpen] = useState<Open>(null);
  const [saved, setSaved] = useState("");
  const { data: sessions, error, isFetching } = useHistoryPageQuery({ limit: PAGE, offset, favouritesOnly });
  const list = sessions ?? [];

  return (
    <section className="panel" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">Sessions</h2>
      <label className="check">
        <input
          type="checkbox"
          checked={favouritesOnly}
          onChange={(e) => {
            setFavouritesOnly(e.target.checked);
            setOffset(0);
          }}
        />
        Favourites only
      </label>
      <ErrorAlert error={error} />
      <p role="status" className="muted">
        {saved}
      </p>
      {sessions && list.length === 0 ? (
        <p className="muted">{favouritesOnly ? "No favourites yet: mark a session with ☆ Favourite." : "No sessions yet."}</p>
      ) : null}
      <ul className="cards-list" aria-label={favouritesOnly ? "Favourite sessions" : "Sessions, newest first"} aria-busy={isFetching}>
        {list.map((session) => (
          <SessionItem
            key={session.id}
            session={session}
            onPlayAgain={(s) => setOpen({ kind: "again", session: s })}
            onSavePreset={(s) => setOpen({ kind: "preset", session: s })}
          />
        ))}
      </ul>
      {offset > 0 || list.length === PAGE ? (
        <nav className="row pager" aria-label="Pages of sessions">
          <button className="secondary" type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            Newer sessions
          </button>
          <button className="secondary" type="button" disabled={list.length < PAGE} onClick={() => setOffset(offset + PAGE)}>
            Older sessions
          </button>
        </nav>
      ) : null}
      <PlayAgainDialog session={open?.kind === "again" ? open.session : null} onClose={() => setOpen(null)} />
      <SavePresetDialog
        session={open?.kind === "preset" ? open.session : null}
        onClose={() => setOpen(null)}
        onSaved={(name) => setSaved(`Saved as the preset “${name}”.`)}
      />
    </section>
  );
}
