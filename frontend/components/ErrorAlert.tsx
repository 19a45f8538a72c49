import { errorMessage } from "@/lib/api";

/** A failed request's message, announced to screen readers; nothing when there is no error. */
export default function ErrorAlert({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {errorMessage(error)}
    </p>
  );
}
