/**
 * Promise.all that settles only once every promise has: then the first rejection, else the
 * values. Promise.all rejects at the first failure and leaves the others running, and a kafkajs
 * request left running keeps retrying after its client is disconnected and the caller stopped.
 */
export async function settledAll<T extends readonly unknown[]>(promises: {
  [K in keyof T]: Promise<T[K]>;
}): Promise<T> {
  const outcomes = await Promise.allSettled(promises);
  const failure = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;
  return outcomes.map(
    (outcome) => (outcome as PromiseFulfilledResult<unknown>).value,
  ) as unknown as T;
}
