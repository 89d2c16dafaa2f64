import type { OperatorAction } from '../domain/operator-audit';

/**
 * One INSERT for any number of audit rows, written once for both of its callers: the saga
 * repository (plain pg, inside the cancel's transaction) and the DLQ tool (Prisma, inside the
 * transaction that marks the records handled). The table refuses UPDATE and DELETE.
 */
export function insertOperatorActions(actions: readonly OperatorAction[]): {
  text: string;
  values: string[][];
} {
  const column = (pick: (action: OperatorAction) => string) => actions.map(pick);
  return {
    text: `INSERT INTO operator_audit (actor, role, via, action, target, reason, result)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                                $6::text[], $7::text[])`,
    values: [
      column((a) => a.actor),
      column((a) => a.role),
      column((a) => a.via),
      column((a) => a.action),
      column((a) => a.target),
      column((a) => a.reason),
      column((a) => a.result),
    ],
  };
}
