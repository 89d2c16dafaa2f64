import { remainingSteps, sagaGraph } from '../../../src/domain/saga-graph';
import { SAGA_TRANSITIONS } from '../../../src/domain/saga-transitions';

describe('the saga graph the journey page draws', () => {
  it('when built, then it has one arrow per pair of states the table moves between', () => {
    const moves = new Set(
      SAGA_TRANSITIONS.filter((t) => t.from !== t.to).map((t) => `${t.from}->${t.to}`),
    );
    const { edges } = sagaGraph();
    expect(new Set(edges.map((e) => `${e.from}->${e.to}`))).toEqual(moves);
    expect(edges).toHaveLength(moves.size);
  });

  it('when built, then columns follow the shortest path from a new order', () => {
    const column = Object.fromEntries(sagaGraph().nodes.map((n) => [n.state, n.column]));
    expect(column).toEqual({
      NEW: 0,
      PENDING: 1,
      INVENTORY_RESERVING: 2,
      FAILED: 2,
      CANCELLED: 2,
      CONFIRMED: 3,
      COMPENSATING: 3,
    });
  });

  it('when an order waits for its payment, then the steps to CONFIRMED are payment then inventory', () => {
    const steps = remainingSteps('PENDING');
    expect(steps.toConfirmed).toEqual(['PENDING', 'INVENTORY_RESERVING', 'CONFIRMED']);
    expect(steps.toConfirmedTriggers).toEqual(['payment_successful', 'inventory_reserved']);
    expect(steps.next.map((e) => e.to).sort()).toEqual(
      ['CANCELLED', 'FAILED', 'INVENTORY_RESERVING'].sort(),
    );
  });

  it('when an order is compensating, then CONFIRMED is out of reach and FAILED or CANCELLED remain', () => {
    const steps = remainingSteps('COMPENSATING');
    expect(steps.toConfirmed).toEqual([]);
    expect(steps.reachable.sort()).toEqual(['CANCELLED', 'FAILED']);
  });

  it('when an order is terminal, then nothing remains', () => {
    for (const status of ['CONFIRMED', 'FAILED', 'CANCELLED'] as const) {
      expect(remainingSteps(status)).toEqual({
        next: [],
        reachable: [],
        toConfirmed: status === 'CONFIRMED' ? ['CONFIRMED'] : [],
        toConfirmedTriggers: [],
      });
    }
  });
});
