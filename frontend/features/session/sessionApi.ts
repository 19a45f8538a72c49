/**
 * The session page's endpoints, injected into the app's one RTK Query api (lib/api.ts): pause and
 * resume, the plan's correction, favourite, play again, keep as a preset, and the intent families.
 * Answers that carry the session (pause, resume, replan, favourite) replace it in the cache, so the
 * page shows them without another request.
 */
import { api } from "@/lib/api";
import type { FamilyOption, IntentFamily, Preset, PresetCreate, SessionRecord, SessionStarted } from "@/lib/types";

const sessionApi = api.injectEndpoints({
  endpoints: (build) => {
    /** Puts an answered session into the `session` query's cache. */
    const keepAnswer = async (_arg: unknown, { dispatch, queryFulfilled }: { dispatch: (action: unknown) => unknown; queryFulfilled: Promise<{ data: SessionRecord }> }) => {
      try {
        const { data } = await queryFulfilled;
        dispatch(api.util.upsertQueryData("session", data.id, data));
      } catch {
        // The caller shows the failure.
      }
    };
    return {
      pauseSession: build.mutation<SessionRecord, number>({
        query: (id) => ({ url: `sessions/${id}/pause`, method: "POST" }),
        onQueryStarted: keepAnswer,
      }),
      resumeSession: build.mutation<SessionRecord, number>({
        query: (id) => ({ url: `sessions/${id}/resume`, method: "POST" }),
        onQueryStarted: keepAnswer,
      }),
      /** "Not anxiety? Study": plan for another family from now on; the socket also sends `refined`. */
      replanSession: build.mutation<SessionRecord, { id: number; family: IntentFamily }>({
        query: ({ id, family }) => ({ url: `sessions/${id}/replan`, method: "POST", body: { family } }),
        onQueryStarted: keepAnswer,
      }),
      markFavourite: build.mutation<SessionRecord, { id: number; favourite: boolean }>({
        query: ({ id, favourite }) => ({ url: `sessions/${id}`, method: "PATCH", body: { favourite } }),
        onQueryStarted: keepAnswer,
      }),
      /** A new session like this one: the same schedule (`replan: false`) or planned again. */
      startAgain: build.mutation<SessionStarted, { id: number; replan: boolean }>({
        query: ({ id, replan }) => ({ url: `sessions/${id}/again`, method: "POST", body: { replan } }),
        invalidatesTags: ["Sessions"],
      }),
      keepAsPreset: build.mutation<Preset, PresetCreate>({
        query: (body) => ({ url: "presets", method: "POST", body }),
      }),
      /** The families and their names; they change only with the server. */
      familyOptions: build.query<FamilyOption[], void>({ query: () => "intents/families", keepUnusedDataFor: 3600 }),
    };
  },
});

export const {
  usePauseSessionMutation,
  useResumeSessionMutation,
  useReplanSessionMutation,
  useMarkFavouriteMutation,
  useStartAgainMutation,
  useKeepAsPresetMutation,
  useFamilyOptionsQuery,
} = sessionApi;
export const sessionEndpoints = sessionApi.endpoints;
