import { fingerprint } from '../../../src/domain/request-fingerprint';

describe('fingerprint', () => {
  test('when keys are reordered, then the fingerprint is the same', () => {
    expect(fingerprint({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(
      fingerprint({ b: { d: 'x', c: [1, 2] }, a: 1 }),
    );
  });

  test('when a value or the order of an array changes, then the fingerprint changes', () => {
    const base = fingerprint({ items: [1, 2] });
    expect(fingerprint({ items: [2, 1] })).not.toBe(base);
    expect(fingerprint({ items: [1, 3] })).not.toBe(base);
  });
});
