import type { OrderStatus } from '../../src/domain/order-status';
import { TERMINAL_STATUSES } from '../../src/domain/saga-transitions';

/**
 * One order per path through the saga. The simulated peers pick the outcome from the order
 * itself (test/peer-simulators/simulator-rules.ts): an amount ending in 13 is declined, one
 * ending in 77 is paid one cent short, one ending in 99 is never answered; a product 'oos-…' is
 * out of stock, 'slow-…' never answered.
 */
export interface Scenario {
  name: string;
  items: { productId: string; productName: string; quantity: number; unitPrice: number }[];
  /** Cancel the order once it has this status. */
  cancelWhen?: OrderStatus;
  expected: OrderStatus;
}

const beans = {
  productId: 'sku-beans',
  productName: 'Espresso beans 1kg',
  quantity: 2,
  unitPrice: 1_899,
};

export const SCENARIOS: readonly Scenario[] = [
  { name: 'confirmed', items: [beans], expected: 'CONFIRMED' },
  {
    name: 'payment declined',
    items: [{ productId: 'sku-jug', productName: 'Milk jug', quantity: 1, unitPrice: 2_513 }],
    expected: 'FAILED',
  },
  {
    name: 'out of stock, refunded',
    items: [
      beans,
      { productId: 'oos-grinder', productName: 'Grinder', quantity: 1, unitPrice: 8_900 },
    ],
    expected: 'FAILED',
  },
  {
    name: 'underpaid, refunded',
    items: [{ productId: 'sku-filter', productName: 'Filters', quantity: 1, unitPrice: 677 }],
    expected: 'FAILED',
  },
  {
    name: 'cancelled while reserving',
    items: [{ productId: 'slow-kettle', productName: 'Kettle', quantity: 1, unitPrice: 4_500 }],
    cancelWhen: 'INVENTORY_RESERVING',
    expected: 'CANCELLED',
  },
  {
    name: 'payment timed out',
    items: [{ productId: 'sku-cups', productName: 'Cups', quantity: 1, unitPrice: 1_999 }],
    expected: 'FAILED',
  },
  {
    name: 'inventory timed out, refunded',
    items: [{ productId: 'slow-scale', productName: 'Scale', quantity: 1, unitPrice: 3_200 }],
    expected: 'FAILED',
  },
];

export function isTerminal(status: string): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}
