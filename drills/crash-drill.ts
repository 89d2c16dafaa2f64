// Drill 1: kill -9 one instance at moments drawn from the seed, several times, and start it
// again, under load. What a crash must not do: lose an accepted order or apply a reply twice.
// Outside the kills (each from the kill to the restarted instance's /health, plus the grace in
// load.ts), 90 % of the orders must be accepted: the survivor takes them all.
import { underLoad, sleep, type Drill } from './drill';
import { between } from './seeded-random';

export const crashDrill: Drill = {
  name: 'crash (kill -9)',
  async run(context) {
    const kills = context.mode === 'long' ? 6 : 2;
    return underLoad(
      this.name,
      context,
      {
        ordersPerSecond: context.mode === 'long' ? 30 : 20,
        minAcceptedShare: 0.9,
        settleTimeoutMs: 180_000,
      },
      async (stack, load) => {
        const restarts: number[] = [];
        for (let i = 0; i < kills; i++) {
          await sleep(between(context.random, 2_000, 8_000));
          const victim = stack.instances[between(context.random, 0, 1)];
          if (!victim) continue;
          context.log(`crash: kill -9 ${victim.name}`);
          await load.fault(
            async () => {
              await victim.crash();
              await sleep(between(context.random, 500, 3_000));
              const started = performance.now();
              await victim.start();
              restarts.push(performance.now() - started);
            },
            { instanceKilled: true },
          );
        }
        await sleep(3_000); // load on both instances after the last restart
        const slowest = Math.max(...restarts) / 1_000;
        return {
          faults: `${kills} × kill -9 of a random instance, restarted`,
          recovery: `restart to /health: slowest ${slowest.toFixed(0)} s`,
        };
      },
    );
  },
};
