"use client";

import { skipToken } from "@reduxjs/toolkit/query/react";
import { useEffect, useRef, useState } from "react";

import ErrorAlert from "@/components/ErrorAlert";
import { api, useLibraryRootsQuery, useScanJobQuery, useStartScanMutation } from "@/lib/api";
import { isScanFinished, scanProgress, scanTarget } from "@/lib/library";
import type { LibraryRoot, ScanRequest } from "@/lib/types";
import { useAppDispatch } from "@/stores/store";

const POLL_MS = 500;

/** The API scans the first root when no path is given; another root is named by its path. */
function scanRequest(roots: LibraryRoot[], index: number): ScanRequest {
  const root = roots.find((r) => r.index === index);
  return root && root.index !== 0 ? { wait_sec: 0, directory_path: root.path } : { wait_sec: 0 };
}

/** "Scan library": starts a scan, follows it with a real progress bar, refreshes the list at the end. */
export default function LibraryScan() {
  const dispatch = useAppDispatch();
  const { data: roots, error: rootsError } = useLibraryRootsQuery();
  const [startScan, { data: started, error: startError, isLoading: starting }] = useStartScanMutation();
  const [rootIndex, setRootIndex] = useState(0);
  const jobId = started && !isScanFinished(started) ? started.job_id : null;
  // Poll every 500 ms until the cached job says it is over.
  const { data: latest } = api.endpoints.scanJob.useQueryState(jobId ?? skipToken);
  const polling = jobId !== null && !(latest && isScanFinished(latest));
  const { data: polled, error: pollError } = useScanJobQuery(jobId ?? skipToken, { pollingInterval: polling ? POLL_MS : 0 });
  const job = polled && polled.job_id === started?.job_id ? polled : started;
  const finished = job ? isScanFinished(job) : false;
  const refreshedFor = useRef<string | null>(null);

  useEffect(() => {
    if (!job || !finished || refreshedFor.current === job.job_id) return;
    refreshedFor.current = job.job_id;
    dispatch(api.util.invalidateTags(["Library"]));
  }, [job, finished, dispatch]);

  const running = starting || (job !== undefined && !finished);
  const progress = job ? scanProgress(job) : null;
  const noRoots = roots !== undefined && roots.length === 0;

  return (
    <section className="panel" aria-labelledby="scan-heading">
      <h2 id="scan-heading">Scan your music folders</h2>
      <ErrorAlert error={rootsError} />
      {noRoots ? (
        <p>
          No music folders are set up. Whoever runs the server lists them in <code>NEUROTUNE_LIBRARY_ROOTS</code>; then
          scan here.
        </p>
      ) : null}
      {roots && roots.length > 1 ? (
        <>
          <label htmlFor="scan-folder">Folder to scan</label>
          <select id="scan-folder" value={rootIndex} onChange={(e) => setRootIndex(Number(e.target.value))} disabled={running}>
            {roots.map((root) => (
              <option key={root.index} value={root.index}>
                {root.path} ({root.track_count} tracks)
              </option>
            ))}
          </select>
        </>
      ) : null}
      {roots && roots.length === 1 ? (
        <p className="muted">
          Folder: {roots[0]?.path} ({roots[0]?.track_count} tracks)
        </p>
      ) : null}
      <button
        className="primary"
        type="button"
        disabled={running || noRoots}
        onClick={() => startScan(scanRequest(roots ?? [], rootIndex))}
      >
        {running ? "Scanning…" : "Scan library"}
      </button>
      <ErrorAlert error={startError ?? pollError} />
      {job && progress && !finished ? (
        <div className="scan-progress">
          <label htmlFor="scan-progress">
            Scanning {scanTarget(job)}: {progress.counts}
            {progress.eta ? ` · ${progress.eta}` : ""}
          </label>
          {progress.fraction !== null ? (
            <progress id="scan-progress" max={job.files_total ?? 1} value={job.files_done} />
          ) : null}
          {job.current_file ? (
            <p className="muted file-name">
              Reading <span>{job.current_file}</span>
            </p>
          ) : null}
        </div>
      ) : null}
      <p role="status">{running ? "Scan in progress." : (progress?.outcome ?? "")}</p>
      {job && job.errors.length > 0 ? (
        <details>
          <summary>
            {job.errors.length === 1 ? "1 problem" : `${job.errors.length} problems`}
            {job.errors.length >= 100 ? " (the latest 100)" : ""}
          </summary>
          <ul className="scan-errors">
            {job.errors.map((e) => (
              <li key={`${e.file}:${e.error}`}>
                <span className="file-name">{e.file || scanTarget(job)}</span>: {e.error}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </section>
  );
}
