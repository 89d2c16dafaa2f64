import { coalescedCalls } from '../../../src/shared/coalesced-calls';

/** A send that records each batch and finishes only when told. */
function heldSend() {
  const sent: Array<{ key: string; count: number; finish: (ok: boolean) => void }> = [];
  const send = (key: string, count: number) =>
    new Promise<string>((resolve, reject) => {
      sent.push({
        key,
        count,
        finish: (ok) => (ok ? resolve(`${key}×${count}`) : reject(new Error(`${key} failed`))),
      });
    });
  return { sent, send };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('coalesced calls', () => {
  test('when a key is quiet, then a call is sent at once, alone', async () => {
    const { sent, send } = heldSend();
    const call = coalescedCalls((key: string) => key, send);
    const answer = call('a');
    expect(sent.map(({ key, count }) => [key, count])).toEqual([['a', 1]]);
    sent[0]?.finish(true);
    await expect(answer).resolves.toEqual({ result: 'a×1', count: 1, index: 0 });
  });

  test('when calls for a key come while one runs, then they go next as one batch, numbered in arrival order', async () => {
    const { sent, send } = heldSend();
    const call = coalescedCalls((key: string) => key, send);
    const first = call('a');
    const waiting = [call('a'), call('a'), call('a')];
    await settle();
    expect(sent).toHaveLength(1);

    sent[0]?.finish(true);
    await first;
    await settle();
    expect(sent.map(({ key, count }) => [key, count])).toEqual([
      ['a', 1],
      ['a', 3],
    ]);
    sent[1]?.finish(true);
    await expect(Promise.all(waiting)).resolves.toEqual(
      [0, 1, 2].map((index) => ({
        result: 'a×3',
        count: 3,
        index,
      })),
    );
  });

  test('when another key is called meanwhile, then it does not wait for the busy one', async () => {
    const { sent, send } = heldSend();
    const call = coalescedCalls((key: string) => key, send);
    void call('a');
    const b = call('b');
    expect(sent.map(({ key }) => key)).toEqual(['a', 'b']);
    sent[1]?.finish(true);
    await expect(b).resolves.toMatchObject({ result: 'b×1' });
    sent[0]?.finish(true);
  });

  test('when a batch fails, then every call in it fails and the key takes calls again', async () => {
    const { sent, send } = heldSend();
    const call = coalescedCalls((key: string) => key, send);
    const first = call('a');
    const batch = [call('a'), call('a')];
    sent[0]?.finish(true);
    await first;
    await settle();
    sent[1]?.finish(false);
    for (const failed of batch) await expect(failed).rejects.toThrow('a failed');

    await settle();
    const again = call('a');
    expect(sent).toHaveLength(3);
    sent[2]?.finish(true);
    await expect(again).resolves.toMatchObject({ count: 1 });
  });

  test('when send throws before it returns a promise, then the call fails instead of hanging', async () => {
    const call = coalescedCalls(
      (key: string) => key,
      (): Promise<string> => {
        throw new Error('no connection');
      },
    );
    await expect(call('a')).rejects.toThrow('no connection');
    await expect(call('a')).rejects.toThrow('no connection');
  });
});
