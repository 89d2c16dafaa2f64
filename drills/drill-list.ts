// Every drill, in the order they run (and the reliability table lists them).
import { brokerHangDrill } from './broker-hang-drill';
import { brokerDataLossDrill, brokerLossDrill } from './broker-loss-drill';
import { crashDrill } from './crash-drill';
import { databaseRestartDrill } from './database-restart-drill';
import type { Drill } from './drill';
import { duplicateStormDrill } from './duplicate-storm-drill';
import { hostileHttpDrill } from './hostile-http-drill';
import { poisonFloodDrill } from './poison-flood-drill';
import { registryHangDrill, registryRefusedDrill } from './registry-outage-drill';

/**
 * In the order the issue lists them, but for the broker loss drills, appended last: each drill's random
 * stream follows from its place here, and README's figures were drawn before it was written.
 */
export const DRILLS: readonly Drill[] = [
  crashDrill,
  brokerHangDrill,
  databaseRestartDrill,
  registryRefusedDrill,
  registryHangDrill,
  poisonFloodDrill,
  duplicateStormDrill,
  hostileHttpDrill,
  brokerLossDrill,
  brokerDataLossDrill,
];

/**
 * The short (CI) version runs every drill, smaller, except these, which run only with
 * DRILLS=long, for their length (about a minute each, where the short run must stay near 4
 * minutes).
 */
export const LONG_ONLY: ReadonlySet<Drill> = new Set([
  brokerHangDrill,
  brokerLossDrill,
  brokerDataLossDrill,
]);
