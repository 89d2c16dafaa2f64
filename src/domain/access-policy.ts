import { ForbiddenError, ValidationError } from '../shared/app-error';

/**
 * Who is calling, as authentication established it. Every decision about what a caller may do
 * is made in this file; docs/security.md's "Who may do what" is its matrix.
 */
export type Caller =
  /** A customer's token: `sub` is the customer id. */
  | { kind: 'customer'; customerId: string }
  /** A token whose `roles` claim holds `operator`. */
  | { kind: 'operator'; subject: string }
  /** AUTH_MODE=none (development, the demo, tests not about auth): no restriction. */
  | { kind: 'unauthenticated' };

/**
 * The customer a new order is for. A customer orders only for itself (`customerId` in the body
 * may be left out); operators place no orders, since an order moves a customer's money.
 */
export function customerForNewOrder(caller: Caller, requested: string | undefined): string {
  switch (caller.kind) {
    case 'customer':
      if (requested !== undefined && requested !== caller.customerId) {
        throw new ForbiddenError('A customer may place orders only for itself');
      }
      return caller.customerId;
    case 'operator':
      throw new ForbiddenError('Operators do not place orders');
    case 'unauthenticated':
      if (requested === undefined) {
        throw new ValidationError('The order is not valid', [
          { path: 'customerId', message: 'is required' },
        ]);
      }
      return requested;
  }
}

/**
 * Whether the caller may see (and so cancel) this order. A customer's answer for someone else's
 * order must be the same as for an order that does not exist (404), so ids cannot be probed.
 */
export function mayAccessOrder(caller: Caller, order: { customerId: string }): boolean {
  return caller.kind !== 'customer' || order.customerId === caller.customerId;
}

/** The customer a listing is restricted to: always the caller itself for a customer. */
export function customerFilterForList(
  caller: Caller,
  requested: string | undefined,
): string | undefined {
  if (caller.kind !== 'customer') return requested;
  if (requested !== undefined && requested !== caller.customerId) {
    throw new ForbiddenError('A customer may list only its own orders');
  }
  return caller.customerId;
}

/** The role an operator acts in, as the audit records it. */
export const OPERATOR_ROLE_NAME = 'operator';

/** The reason recorded when a cancellation gives none. */
export function defaultCancellationReason(caller: Caller): string {
  return caller.kind === 'operator' ? 'cancelled by an operator' : 'cancelled by the customer';
}
