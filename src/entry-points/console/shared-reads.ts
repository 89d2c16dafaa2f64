/**
 * The console's costliest reads (the overview's database figures, the failure groups), each
 * computed at most once per max age and the answer shared by every operator who asks meanwhile:
 * however many consoles are open, they cost the database a bounded amount, and the API keeps its
 * latency. Concurrent askers share one computation in flight. Answers carry their own
 * `generatedAt`, so a shared one says how old it is. Any operator action forgets them all, so its
 * effect shows at once.
 */
export interface SharedReads {
  read<T>(key: string, compute: () => Promise<T>): Promise<T>;
  forget(): void;
}

export function createSharedReads(maxAgeMs: number, now: () => number = Date.now): SharedReads {
  const held = new Map<string, { answer: Promise<unknown>; until: number }>();
  return {
    read<T>(key: string, compute: () => Promise<T>): Promise<T> {
      const entry = held.get(key);
      if (entry && entry.until > now()) return entry.answer as Promise<T>;
      const answer = compute();
      if (maxAgeMs <= 0) return answer;
      const fresh = { answer, until: now() + maxAgeMs };
      held.set(key, fresh);
      // A failure is not shared: the next asker tries again.
      answer.catch(() => {
        if (held.get(key) === fresh) held.delete(key);
      });
      return answer;
    },
    forget: () => held.clear(),
  };
}
