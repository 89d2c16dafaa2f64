import type { Client } from 'pg';

/** A node of `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`'s plan, with what the tests read of it. */
export interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Shared Hit Blocks': number;
  'Shared Read Blocks': number;
  Plans?: PlanNode[];
}

const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)];

/**
 * Runs `sql` under EXPLAIN ANALYZE in `client`'s session (its settings are the point) and rolls
 * back whatever it did: every node of the plan, the root first.
 */
export async function analyzedPlan(
  client: Client,
  sql: string,
  params: unknown[],
): Promise<PlanNode[]> {
  await client.query('BEGIN');
  try {
    const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
      `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`,
      params,
    );
    return nodesOf(rows[0]!['QUERY PLAN'][0]!.Plan);
  } finally {
    await client.query('ROLLBACK');
  }
}

/** The blocks the whole statement read, from the shared buffers or from disk. */
export const blocksRead = ([root]: PlanNode[]): number =>
  root!['Shared Hit Blocks'] + root!['Shared Read Blocks'];
