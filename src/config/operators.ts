import { z } from 'zod';
import { documented, optional, type SettingsOf } from './documented-keys';

/** An actor's name as the audit stores it: short, printable, no control or bidi characters. */
function safeActor() {
  return z
    .string()
    .trim()
    .min(1)
    .max(200)
    .refine((name) => !/[\p{Cc}\p{Cf}]/u.test(name), 'must be printable text');
}

/** Operator tools that run beside the service (`npm run dlq`); the service never reads these. */
export const operatorKeys = {
  DLQ_ACTOR: documented(optional(safeActor()), {
    group: 'operators',
    description:
      "who runs `npm run dlq` (a person's login or a ticket's owner), written with each replay and skip to the `operator_audit` table; replay and skip are refused without it",
  }),
};

export type OperatorSettings = SettingsOf<typeof operatorKeys>;
