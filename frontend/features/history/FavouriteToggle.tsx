"use client";

import ErrorAlert from "@/components/ErrorAlert";
import type { SessionRecord } from "@/lib/types";
import { useSetFavouriteMutation } from "./historyApi";

/** A toggle button: pressed while the session is a favourite. Its name stays the same either way. */
export default function FavouriteToggle({ session, about }: { session: Pick<SessionRecord, "id" | "favourite">; about: string }) {
  const [setFavourite, { isLoading, error }] = useSetFavouriteMutation();
  return (
    <>
      <button
        className="secondary favourite"
        type="button"
        aria-pressed={session.favourite}
        disabled={isLoading}
        onClick={() => void setFavourite({ id: session.id, favourite: !session.favourite })}
      >
        <span aria-hidden="true">{session.favourite ? "★" : "☆"}</span> Favourite
        <span className="visually-hidden">: {about}</span>
      </button>
      <ErrorAlert error={error} />
    </>
  );
}
