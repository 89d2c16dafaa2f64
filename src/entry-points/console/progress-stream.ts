import type { Request, Response } from 'express';
import { AppError, errorMessage, publicDetail } from '../../shared/app-error';
import type { Logger } from '../../shared/logger';

export const NDJSON = 'application/x-ndjson';

/**
 * The errors a bulk action can stop with part-way, told as they are (the problem answers'
 * codes); any other is told as `internal`, as the problem handler does, so nothing else leaks.
 */
const STOPPED_PART_WAY = new Set([
  'kafka-unavailable',
  'database-unavailable',
  'console-action-refused',
]);

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
    const stopped =
      error instanceof AppError && STOPPED_PART_WAY.has(error.code)
        ? { code: error.code, detail: publicDetail(error) }
        : { code: 'internal', detail: 'Something went wrong on our side' };
    res.end(line({ error: stopped }));
  }
}
