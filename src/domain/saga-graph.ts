import type { OrderStatus } from './order-status';
import {
  NEW_ORDER,
  SAGA_TRANSITIONS,
  TERMINAL_STATUSES,
  type SagaState,
  type SagaTrigger,
} from './saga-transitions';

/** One arrow of the saga diagram: every table row from one state to another, merged. */
export interface SagaGraphEdge {
  from: SagaState;
  to: OrderStatus;
  /** `trigger` or `trigger [guard]`, in the table's order. */
  triggers: string[];
}

export interface SagaGraphNode {
  state: SagaState;
  /** Steps from a new order along the shortest path: the diagram's column. */
  column: number;
  /** Position among the states of the same column, in the table's order: the diagram's row. */
  row: number;
  terminal: boolean;
}

export interface SagaGraph {
  nodes: SagaGraphNode[];
  edges: SagaGraphEdge[];
}

/**
 * The saga's state diagram as data, derived from SAGA_TRANSITIONS alone (as docs/saga.md's
 * Mermaid diagram is): rows that keep the status (late replies undone) are not arrows, since
 * they move nothing.
 */
export function sagaGraph(): SagaGraph {
  const edges: SagaGraphEdge[] = [];
  for (const { from, to, trigger, when } of SAGA_TRANSITIONS) {
    if (from === to) continue;
    const label = when ? `${trigger} [${when}]` : trigger;
    const edge = edges.find((e) => e.from === from && e.to === to);
    if (edge) edge.triggers.push(label);
    else edges.push({ from, to, triggers: [label] });
  }
  const column = distancesFrom(NEW_ORDER, edges);
  const rows = new Map<number, number>();
  const nodes = [...column.entries()].map(([state, col]) => {
    const row = rows.get(col) ?? 0;
    rows.set(col, row + 1);
    return {
      state,
      column: col,
      row,
      terminal: (TERMINAL_STATUSES as readonly string[]).includes(state),
    };
  });
  return { nodes, edges };
}

/** Shortest number of moves from `start` to each state it can reach, `start` included. */
function distancesFrom(start: SagaState, edges: readonly SagaGraphEdge[]): Map<SagaState, number> {
  const distance = new Map<SagaState, number>([[start, 0]]);
  const queue: SagaState[] = [start];
  for (let state = queue.shift(); state !== undefined; state = queue.shift()) {
    for (const edge of edges) {
      if (edge.from !== state || distance.has(edge.to)) continue;
      distance.set(edge.to, (distance.get(state) ?? 0) + 1);
      queue.push(edge.to);
    }
  }
  return distance;
}

/** What an order in `current` may still go through, and how it would get to CONFIRMED. */
export interface RemainingSteps {
  /** The moves open from here: trigger(s) and where each leads. */
  next: SagaGraphEdge[];
  /** Every state still reachable from here, `current` excluded. */
  reachable: SagaState[];
  /** The shortest path on to CONFIRMED, `current` first; empty when CONFIRMED is out of reach. */
  toConfirmed: SagaState[];
  /** The trigger each step of `toConfirmed` waits for (one fewer than its states). */
  toConfirmedTriggers: SagaTrigger[];
}

export function remainingSteps(current: SagaState): RemainingSteps {
  const { edges } = sagaGraph();
  const distance = distancesFrom(current, edges);
  return {
    next: edges.filter((edge) => edge.from === current),
    reachable: [...distance.keys()].filter((state) => state !== current),
    ...pathToConfirmed(current, edges),
  };
}

function pathToConfirmed(
  current: SagaState,
  edges: readonly SagaGraphEdge[],
): Pick<RemainingSteps, 'toConfirmed' | 'toConfirmedTriggers'> {
  const cameFrom = new Map<SagaState, SagaGraphEdge | null>([[current, null]]);
  const queue: SagaState[] = [current];
  for (let state = queue.shift(); state !== undefined; state = queue.shift()) {
    for (const edge of edges) {
      if (edge.from !== state || cameFrom.has(edge.to)) continue;
      cameFrom.set(edge.to, edge);
      queue.push(edge.to);
    }
  }
  if (!cameFrom.has('CONFIRMED')) return { toConfirmed: [], toConfirmedTriggers: [] };
  const states: SagaState[] = ['CONFIRMED'];
  const triggers: SagaTrigger[] = [];
  for (let edge = cameFrom.get('CONFIRMED'); edge; edge = cameFrom.get(edge.from)) {
    states.unshift(edge.from);
    triggers.unshift(firstTrigger(edge));
  }
  return { toConfirmed: states, toConfirmedTriggers: triggers };
}

const firstTrigger = (edge: SagaGraphEdge) => (edge.triggers[0] ?? '').split(' ')[0] as SagaTrigger;
