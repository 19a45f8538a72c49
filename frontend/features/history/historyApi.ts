/**
 * History's endpoints, injected into the app's one RTK Query api (lib/api.ts): the session list
 * with its favourites filter, favourites, play again and presets. Rating an ended session later is
 * lib/api.ts's `endSession` (PATCH /sessions/{id}/end fills a missing rating) and the families'
 * names are the session page's `familyOptions`, so neither is repeated here.
 */
import { api } from "@/lib/api";
import type {
  PlayAgain,
  Preset,
  PresetCreate,
  PresetStart,
  SessionChange,
  SessionRecord,
  SessionStarted,
} from "@/lib/types";

export interface HistoryPageQuery {
  limit: number;
  offset: number;
  favouritesOnly: boolean;
}

const historyApi = api.enhanceEndpoints({ addTagTypes: ["History", "Presets"] }).injectEndpoints({
  endpoints: (build) => ({
    historyPage: build.query<SessionRecord[], HistoryPageQuery>({
      query: ({ limit, offset, favouritesOnly }) => ({
        url: "sessions/history",
        params: favouritesOnly ? { limit, offset, favourite: true } : { limit, offset },
      }),
      providesTags: ["Sessions", "History"],
    }),
    /** A favourite changes only the lists, not what the insights learned: "History", not "Sessions". */
    setFavourite: build.mutation<SessionRecord, SessionChange & { id: number; favourite: boolean }>({
      query: ({ id, favourite }) => ({ url: `sessions/${id}`, method: "PATCH", body: { favourite } }),
      invalidatesTags: ["History"],
    }),
    playAgain: build.mutation<SessionStarted, PlayAgain & { id: number }>({
      query: ({ id, replan }) => ({ url: `sessions/${id}/again`, method: "POST", body: { replan } }),
      invalidatesTags: ["Sessions"],
    }),
    presets: build.query<Preset[], void>({ query: () => "presets", providesTags: ["Presets"] }),
    createPreset: build.mutation<Preset, PresetCreate>({
      query: (body) => ({ url: "presets", method: "POST", body }),
      invalidatesTags: ["Presets"],
    }),
    startPreset: build.mutation<SessionStarted, PresetStart & { id: number }>({
      query: ({ id, replan }) => ({ url: `presets/${id}/start`, method: "POST", body: { replan } }),
      invalidatesTags: ["Sessions"],
    }),
    deletePreset: build.mutation<null, number>({
      query: (id) => ({ url: `presets/${id}`, method: "DELETE" }),
      invalidatesTags: ["Presets"],
    }),
  }),
});

export const {
  useHistoryPageQuery,
  useSetFavouriteMutation,
  usePlayAgainMutation,
  usePresetsQuery,
  useCreatePresetMutation,
  useStartPresetMutation,
  useDeletePresetMutation,
} = historyApi;
