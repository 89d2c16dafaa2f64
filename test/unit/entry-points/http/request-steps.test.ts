import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  runSteps,
  UnansweredRequestError,
  type Step,
} from '../../../../src/entry-points/http/request-steps';

/** runSteps without a server: each case names what a step does and what must reach onError. */
describe('runSteps', () => {
  const req = {} as IncomingMessage;
  const res = {} as ServerResponse;

  function run(steps: Step[]): Promise<unknown[]> {
    const errors: unknown[] = [];
    runSteps(steps, (error) => errors.push(error))(req, res);
    return new Promise((resolve) => setImmediate(() => resolve(errors)));
  }

  const goOn: Step = (_req, _res, next) => next();
  const answer: Step = () => undefined;

  test('when every step goes on to one that answers, then no error is reported', async () => {
    const seen: string[] = [];
    const mark =
      (name: string): Step =>
      (_req, _res, next) => {
        seen.push(name);
        next();
      };
    expect(await run([mark('a'), mark('b'), answer])).toEqual([]);
    expect(seen).toEqual(['a', 'b']);
  });

  test('when a step throws, then its error is reported and no later step runs', async () => {
    const later = jest.fn();
    const boom = new Error('boom');
    const errors = await run([
      () => {
        throw boom;
      },
      later,
    ]);
    expect(errors).toEqual([boom]);
    expect(later).not.toHaveBeenCalled();
  });

  test('when an async step rejects, then its error is reported once', async () => {
    const boom = new Error('boom');
    expect(await run([goOn, async () => Promise.reject(boom)])).toEqual([boom]);
  });

  test('when a step passes an error to next twice, then it is reported once', async () => {
    const boom = new Error('boom');
    const twice: Step = (_req, _res, next) => {
      next(boom);
      next(boom);
    };
    expect(await run([twice, answer])).toEqual([boom]);
  });

  test('when next is called with nothing, undefined or null, then the steps go on, as in Express', async () => {
    const withNull: Step = (_req, _res, next) => next(null);
    expect(await run([withNull, goOn, answer])).toEqual([]);
  });

  test('when the last step goes on instead of answering, then that is reported, not left hanging', async () => {
    const [error] = await run([goOn, goOn]);
    expect(error).toBeInstanceOf(UnansweredRequestError);
  });
});
