// Issue 23 item 2: where the service's CPU per completed saga goes. Starts a fresh bench stack
// whose service runs under `node --cpu-prof`, runs the bench's saga scenario (instant peers,
// intake included) once to warm up and once measured, stops it so the profile is written (it
// covers start-up and the warm-up too), and prints the measured CPU per saga and
// bench/cpu-profile-summary.ts's summary.
// `tsx bench/profile-saga.ts [orders=5000] [connections=64] [outDir=/tmp/saga-profile]`
import { runProfileScript, withProfiledService } from './profiled-service';
import { sagaThroughput } from './saga';

runProfileScript(async () => {
  const [orders = '5000', connections = '64', outDir = '/tmp/saga-profile'] = process.argv.slice(2);
  await withProfiledService(outDir, {}, async (stack) => {
    await sagaThroughput(stack, 500, Number(connections), 120_000); // warm-up
    const result = await sagaThroughput(stack, Number(orders), Number(connections), 600_000);
    process.stdout.write(
      `saga: ${result.sagasPerSecond.toFixed(0)} sagas/s, ` +
        `CPU per saga ${result.serviceCpuMsPerSaga.toFixed(2)} ms\n`,
    );
  });
});
