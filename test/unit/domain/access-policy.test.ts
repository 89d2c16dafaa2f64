import {
  customerFilterForList,
  customerForNewOrder,
  mayAccessOrder,
  type Caller,
} from '../../../src/domain/access-policy';
import { ForbiddenError, ValidationError } from '../../../src/shared/app-error';

const alice: Caller = { kind: 'customer', customerId: 'alice' };
const operator: Caller = { kind: 'operator', subject: 'ops-1' };
const unauthenticated: Caller = { kind: 'unauthenticated' };

describe('access policy', () => {
  describe('placing an order', () => {
    test('when a customer leaves customerId out or names itself, then the order is its own', () => {
      expect(customerForNewOrder(alice, undefined)).toBe('alice');
      expect(customerForNewOrder(alice, 'alice')).toBe('alice');
    });

    test('when a customer names another customer, then it is forbidden', () => {
      expect(() => customerForNewOrder(alice, 'bob')).toThrow(ForbiddenError);
    });

    test('when an operator places an order, then it is forbidden', () => {
      expect(() => customerForNewOrder(operator, 'alice')).toThrow(ForbiddenError);
      expect(() => customerForNewOrder(operator, undefined)).toThrow(ForbiddenError);
    });

    test('when there is no authentication, then the body must name the customer', () => {
      expect(customerForNewOrder(unauthenticated, 'bob')).toBe('bob');
      expect(() => customerForNewOrder(unauthenticated, undefined)).toThrow(ValidationError);
    });
  });

  describe('reading and cancelling an order', () => {
    test.each([
      ['a customer, its own order', alice, 'alice', true],
      ["a customer, another customer's order", alice, 'bob', false],
      ['an operator, any order', operator, 'bob', true],
      ['no authentication, any order', unauthenticated, 'bob', true],
    ])('when %s, then access is %s', (_case, caller, owner, allowed) => {
      expect(mayAccessOrder(caller, { customerId: owner })).toBe(allowed);
    });
  });

  describe('listing orders', () => {
    test('when a customer lists, then the listing is always restricted to itself', () => {
      expect(customerFilterForList(alice, undefined)).toBe('alice');
      expect(customerFilterForList(alice, 'alice')).toBe('alice');
      expect(() => customerFilterForList(alice, 'bob')).toThrow(ForbiddenError);
    });

    test('when an operator lists, then it sees everyone, or the customer it filters by', () => {
      expect(customerFilterForList(operator, undefined)).toBeUndefined();
      expect(customerFilterForList(operator, 'bob')).toBe('bob');
    });
  });
});
