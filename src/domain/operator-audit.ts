/**
 * What an operator did, to what, why, and what came of it: one row of the append-only
 * `operator_audit` table. Written by the API's operator cancel and by the DLQ tool (replay,
 * skip); the console's reveal, mark and unmark write the same rows.
 */
export type OperatorActionKind = 'replay' | 'skip' | 'cancel' | 'reveal' | 'mark' | 'unmark';

/** Where the action was taken. */
export type OperatorChannel = 'api' | 'cli' | 'console';

export interface OperatorAction {
  /** The token's subject (API, console) or the DLQ tool's DLQ_ACTOR. */
  actor: string;
  role: string;
  via: OperatorChannel;
  action: OperatorActionKind;
  /** `orderTarget(id)` or `deadLetterTarget(topic, partition, offset)`. */
  target: string;
  reason: string;
  /** `done`, or `refused: …` / `failed: …` with a short reason. */
  result: string;
}

export const orderTarget = (orderId: string) => `order:${orderId}`;

export const deadLetterTarget = (topic: string, partition: number, offset: string) =>
  `dlq:${topic}/${partition}/${offset}`;

/** Results are short: the audit says what happened, the logs hold the detail. */
export function auditResult(kind: 'done' | 'refused' | 'failed', why?: string): string {
  return why === undefined ? kind : `${kind}: ${why.replace(/\s+/g, ' ').slice(0, 200)}`;
}
