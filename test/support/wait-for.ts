export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** What is being waited for; it leads the timeout error. */
  message?: string;
}

/**
 * Polls `predicate` until it returns a truthy value, and resolves with that value.
 * A throwing predicate counts as "not yet"; its last error is quoted in the timeout message,
 * because that error is usually the real reason the wait failed.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 100, message = 'condition' }: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError === undefined ? '' : ` (last error: ${describe(lastError)})`;
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${message}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
