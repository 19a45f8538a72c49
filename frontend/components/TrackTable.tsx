import { formatBpm, formatDuration } from "@/lib/library";
import type { LibraryTrack } from "@/lib/types";

interface Props {
  tracks: LibraryTrack[];
  busy: boolean;
  previewingId: number | null;
  onPreview: (track: LibraryTrack) => void;
}

/** The library as a table; at narrow widths (or 200 % zoom) each row stacks into a card. */
export default function TrackTable({ tracks, busy, previewingId, onPreview }: Props) {
  return (
    <table className="tracks" aria-busy={busy}>
      <caption className="visually-hidden">Tracks in your library</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Length</th>
          <th scope="col">Tempo (BPM)</th>
          <th scope="col">Key</th>
          <th scope="col">Format</th>
          <th scope="col">
            <span className="visually-hidden">Preview</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {tracks.map((track) => (
          <tr key={track.id} className={track.error ? "failed" : undefined} data-testid="track-row">
            <th scope="row" className="file-name">
              {track.filename}
              {track.file_path !== track.filename ? <small className="muted">{track.file_path}</small> : null}
            </th>
            {track.error ? (
              <td colSpan={4} data-label="Problem">
                Could not be read: {track.error}
              </td>
            ) : (
              <>
                <td data-label="Length">{formatDuration(track.duration_sec)}</td>
                <td data-label="Tempo" data-testid="bpm">
                  {formatBpm(track.bpm)}
                </td>
                <td data-label="Key">{track.key_signature ?? "—"}</td>
                <td data-label="Format">{track.format ?? "—"}</td>
              </>
            )}
            <td>
              {track.stream_url ? (
                <button
                  className="secondary"
                  type="button"
                  aria-label={`Preview ${track.filename}`}
                  aria-pressed={previewingId === track.id}
                  onClick={() => onPreview(track)}
                >
                  Preview
                </button>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
