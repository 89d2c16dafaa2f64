import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { problemDetailsHandler } from '../../../../src/entry-points/http/problem-details';
import {
  answerWithProgress,
  NDJSON,
  type ProgressReport,
} from '../../../../src/entry-points/console/progress-stream';
import { AppError } from '../../../../src/shared/app-error';
import { createLogger } from '../../../../src/shared/logger';

/**
 * A bulk action's answer over real HTTP: a page asking for NDJSON sees a line per chunk done and
 * then how the run ended; any other caller gets one JSON document; a refusal before anything was
 * done is a problem answer with its own status either way.
 */
describe('answerWithProgress: a bulk action tells how far it got', () => {
  let server: Server;
  let url: string;
  let run: (report: ProgressReport) => Promise<unknown>;

  beforeAll(async () => {
    const logger = createLogger('silent');
    const app = express();
    app.post('/bulk', (req, res, next) => {
      answerWithProgress(req, res, logger, (report) => run(report)).catch(next);
    });
    app.use(problemDetailsHandler(logger));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bulk`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const post = (accept: string) => fetch(url, { method: 'POST', headers: { accept } });
  const linesOf = async (response: Response) =>
    (await response.text())
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as unknown);

  it('when the caller accepts NDJSON, then each chunk done is a line, and the result comes last', async () => {
    run = async (report) => {
      for (const done of [200, 400, 450]) report(done, 450);
      return { replayed: 450 };
    };

    const response = await post(NDJSON);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain(NDJSON);
    expect(await linesOf(response)).toEqual([
      { progress: { done: 200, total: 450 } },
      { progress: { done: 400, total: 450 } },
      { progress: { done: 450, total: 450 } },
      { result: { replayed: 450 } },
    ]);
  });

  it('when the run stops part-way, then the lines say how far it got and why it stopped', async () => {
    run = async (report) => {
      report(200, 450);
      throw new AppError('kafka-unavailable', 'replay stopped after 200 records');
    };

    const response = await post(NDJSON);

    expect(await linesOf(response)).toEqual([
      { progress: { done: 200, total: 450 } },
      { error: { code: 'kafka-unavailable', detail: 'replay stopped after 200 records' } },
    ]);
  });

  it('when a failure is not the service’s own error, then its line tells nothing internal', async () => {
    run = async (report) => {
      report(1, 2);
      throw new Error('relation "dead_letter_actions" does not exist');
    };

    const lines = await linesOf(await post(NDJSON));

    expect(lines.at(-1)).toEqual({
      error: { code: 'internal', detail: 'Something went wrong on our side' },
    });
  });

  it('when the run stops on a service error the API never tells, then its line says internal', async () => {
    run = async (report) => {
      report(1, 2);
      throw new AppError('schema-registry-unreachable', 'http://registry.internal:8081 refused');
    };

    const lines = await linesOf(await post(NDJSON));

    expect(lines.at(-1)).toEqual({
      error: { code: 'internal', detail: 'Something went wrong on our side' },
    });
  });

  it('when the run is refused before any record was done, then it is a problem answer with its status', async () => {
    run = async () => {
      throw new AppError('console-action-refused', 'Confirm the number of records');
    };

    const response = await post(NDJSON);

    expect(response.status).toBe(409);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(await response.json()).toMatchObject({ detail: 'Confirm the number of records' });
  });

  it('when the caller asks for JSON, then the answer is the result alone, as one document', async () => {
    run = async (report) => {
      report(2, 2);
      return { skipped: 2 };
    };

    const response = await post('application/json');

    expect(response.headers.get('content-type')).toContain('application/json');
    expect(await response.json()).toEqual({ skipped: 2 });
  });
});
