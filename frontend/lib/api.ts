/**
 * REST client: RTK Query endpoints for the FastAPI backend (same origin), plus the token store.
 * The token lives in localStorage so a reload keeps you signed in; it never goes into a URL.
 */
import { createApi, fetchBaseQuery, type FetchBaseQueryError } from "@reduxjs/toolkit/query/react";

import { libraryParams, totalCount, type LibraryPage, type LibraryQuery } from "./library";
import { tokenExpired } from "./token";
import type {
  HealthReport,
  HistoryQuery,
  InsightsReport,
  IntentRequest,
  LibraryRoot,
  LibraryTrack,
  Registered,
  ScanJob,
  ScanRequest,
  SessionEnd,
  SessionEnded,
  SessionRecord,
  SessionStarted,
  TokenIssued,
  User,
  UserLogin,
  UserRegister,
  UserUpdate,
} from "./types";

const TOKEN_KEY = "neurotune.token";

export function loadToken(): string | null {
  if (typeof window === "undefined") return null;
  return window.localStorage.getItem(TOKEN_KEY);
}

export function saveToken(token: string | null): void {
  if (token) window.localStorage.setItem(TOKEN_KEY, token);
  else window.localStorage.removeItem(TOKEN_KEY);
}

/** A readable message from any failed request (FastAPI's `detail` is a string or a list). */
export function errorMessage(error: unknown): string {
  const fetchError = error as FetchBaseQueryError | undefined;
  if (fetchError && "status" in fetchError) {
    const detail = (fetchError.data as { detail?: unknown } | undefined)?.detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail
        .map((item: { loc?: unknown[]; msg?: string }) => `${(item.loc ?? []).slice(-1)[0] ?? ""}: ${item.msg ?? ""}`)
        .join("; ");
    }
    if (fetchError.status === "FETCH_ERROR") return "Cannot reach the NeuroTune server.";
    return `Request failed (${String(fetchError.status)}).`;
  }
  return "Something went wrong.";
}

/** What `me` answers when there is no usable token: signed out, without asking the server. */
const SIGNED_OUT: FetchBaseQueryError = { status: 401, data: { detail: "Not signed in." } };

export const api = createApi({
  reducerPath: "api",
  baseQuery: fetchBaseQuery({
    baseUrl: "/",
    prepareHeaders: (headers) => {
      const token = loadToken();
      if (token) headers.set("Authorization", `Bearer ${token}`);
      return headers;
    },
  }),
  tagTypes: ["Me", "Sessions", "Library"],
  endpoints: (build) => ({
    register: build.mutation<Registered, UserRegister>({
      query: (body) => ({ url: "auth/register", method: "POST", body }),
    }),
    login: build.mutation<TokenIssued, UserLogin>({
      query: (body) => ({ url: "auth/login", method: "POST", body }),
    }),
    health: build.query<HealthReport, void>({ query: () => "health" }),
    /** Who is signed in. No token, or an expired one, is "signed out" without a request (and a 401 forgets the token). */
    me: build.query<User, void>({
      queryFn: async (_arg, _api, _extra, baseQuery) => {
        const token = loadToken();
        if (!token || tokenExpired(token)) {
          saveToken(null);
          return { error: SIGNED_OUT };
        }
        const result = await baseQuery("auth/me");
        if (result.error?.status === 401) saveToken(null);
        return result.error ? { error: result.error } : { data: result.data as User };
      },
      providesTags: ["Me"],
    }),
    updateMe: build.mutation<User, UserUpdate>({
      query: (body) => ({ url: "auth/me", method: "PATCH", body }),
      invalidatesTags: ["Me"],
    }),
    startSession: build.mutation<SessionStarted, IntentRequest>({
      query: (body) => ({ url: "sessions/start", method: "POST", body }),
      invalidatesTags: ["Sessions"],
    }),
    endSession: build.mutation<SessionEnded, SessionEnd & { id: number }>({
      query: ({ id, ...body }) => ({ url: `sessions/${id}/end`, method: "PATCH", body }),
      invalidatesTags: ["Sessions"],
    }),
    session: build.query<SessionRecord, number>({ query: (id) => `sessions/${id}`, providesTags: ["Sessions"] }),
    history: build.query<SessionRecord[], Pick<HistoryQuery, "limit" | "offset"> | void>({
      query: (args) => ({ url: "sessions/history", params: { limit: args?.limit ?? 50, offset: args?.offset ?? 0 } }),
      providesTags: ["Sessions"],
    }),
    insights: build.query<InsightsReport, void>({ query: () => "insights/me", providesTags: ["Sessions"] }),
    library: build.query<LibraryPage, LibraryQuery>({
      query: (args) => ({ url: "library", params: libraryParams(args) }),
      transformResponse: (tracks: LibraryTrack[], meta, args) => ({
        tracks,
        total: totalCount(meta?.response?.headers.get("X-Total-Count"), (args.offset ?? 0) + tracks.length),
      }),
      providesTags: ["Library"],
    }),
    libraryRoots: build.query<LibraryRoot[], void>({ query: () => "library/roots", providesTags: ["Library"] }),
    /** Starts a scan; with wait_sec 0 it answers at once (202, running) and the job is polled. */
    startScan: build.mutation<ScanJob, ScanRequest>({
      query: (body) => ({ url: "library/scan", method: "POST", body }),
    }),
    scanJob: build.query<ScanJob, string>({ query: (jobId) => `library/scan/${encodeURIComponent(jobId)}` }),
  }),
});

/**
 * Keep the new token and drop everything fetched without it (a 401 from /auth/me included), so
 * every view refetches as the signed-in user. Called after the token is stored, never before.
 */
export function signedIn(token: string): ReturnType<typeof api.util.resetApiState> {
  saveToken(token);
  return api.util.resetApiState();
}

export const {
  useHealthQuery,
  useRegisterMutation,
  useLoginMutation,
  useMeQuery,
  useUpdateMeMutation,
  useStartSessionMutation,
  useEndSessionMutation,
  useSessionQuery,
  useHistoryQuery,
  useInsightsQuery,
  useLibraryQuery,
  useLibraryRootsQuery,
  useStartScanMutation,
  useScanJobQuery,
} = api;
