import type { Request, Response } from 'express';
import { errorMessage } from '../../shared/app-error';
import type { Logger } from '../../shared/logger';
import { toldError } from '../../shared/public-errors';

export const NDJSON = 'application/x-ndjson';

/** Told after each chunk of a bulk action: how many records are done of how many. */
export type ProgressReport = (done: number, total: number) => void;

/**
 * Answers a bulk action. A caller that accepts `application/x-ndjson` (the console's pages) gets
 * one line per chunk done, `{"progress":{"done":k,"total":n}}`, then `{"result":…}` or, when the
 * run stops part-way, `{"error":{"code":…,"detail":…}}`: a long run shows how far it got, and a
 * stop says where. Any other caller gets the result as one JSON document, as before. An error
 * before the first record was acted on (a refusal, a bad request) is an ordinary problem answer
 * either way: the status line is only committed once something was done.
 */
export async function answerWithProgress<T>(
  req: Request,
  res: Response,
  logger: Logger,
  run: (report: ProgressReport) => Promise<T>,
): Promise<void> {
  if (req.accepts(['application/json', NDJSON]) !== NDJSON) {
    res.json(await run(() => undefined));
    return;
  }
  const line = (value: unknown) => `${JSON.stringify(value)}\n`;
  const begin = () => {
    if (res.headersSent) return;
    res.status(200).type(NDJSON);
    // Each line as soon as it is written: no proxy buffering of the progress.
    res.setHeader('X-Accel-Buffering', 'no');
  };
  try {
    const result = await run((done, total) => {
      begin();
      res.write(line({ progress: { done, total } }));
    });
    begin();
    res.end(line({ result }));
  } catch (error) {
    if (!res.headersSent) throw error;
    logger.warn('console bulk action stopped part-way', {
      path: req.path,
      error: errorMessage(error),
    });
    // Told as a problem answer would tell it: the service's own errors as they are, no other.
    res.end(line({ error: toldError(error) }));
  }
}
