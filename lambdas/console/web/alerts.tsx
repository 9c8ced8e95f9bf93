/**
 * A view's outcome lines: an error is announced at once (`alert`), a notice politely (`status`). Either may be
 * empty, and an empty one renders nothing.
 */
export function Alerts({ error, notice }: { error?: string; notice?: string }) {
  return (
    <>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {notice && (
        <p class="ok" role="status">
          {notice}
        </p>
      )}
    </>
  );
}
