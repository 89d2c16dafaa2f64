import { priceOrder } from '../../../src/domain/order-pricing';
import { MAX_ITEMS, MAX_QUANTITY, MAX_UNIT_PRICE } from '../../../src/domain/new-order-schema';

describe('priceOrder', () => {
  test('when items are priced, then line totals and the total are exact integer minor units', () => {
    const priced = priceOrder([
      { productId: 'a', productName: 'A', quantity: 3, unitPrice: 333 },
      { productId: 'b', productName: 'B', quantity: 1, unitPrice: 1 },
    ]);
    expect(priced.items.map((item) => item.lineTotal)).toEqual([999, 1]);
    expect(priced.totalAmount).toBe(1_000);
  });

  test('when every bound is at its maximum, then the total is still a safe integer', () => {
    const items = Array.from({ length: MAX_ITEMS }, (_, i) => ({
      productId: `p${i}`,
      productName: 'P',
      quantity: MAX_QUANTITY,
      unitPrice: MAX_UNIT_PRICE,
    }));
    expect(Number.isSafeInteger(priceOrder(items).totalAmount)).toBe(true);
  });
});
