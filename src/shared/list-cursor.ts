import { z } from 'zod';
import { ValidationError } from './app-error';

/**
 * Where a list of orders goes on (the public API's and the console's): opaque to clients, the
 * (createdAt, id) of the last order on the page, base64url-encoded.
 */
const cursorSchema = z.tuple([z.iso.datetime(), z.uuid()]);

export function encodeCursor(order: { createdAt: string; id: string }): string {
  return Buffer.from(JSON.stringify([order.createdAt, order.id])).toString('base64url');
}

/** `parameter`: the query parameter that carried it, as the 400 names it. */
export function decodeCursor(
  cursor: string,
  parameter = 'cursor',
): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = cursorSchema.parse(
      JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')),
    );
    return { createdAt: new Date(createdAt), id };
  } catch {
    throw new ValidationError('The query parameters are not valid', [
      { path: parameter, message: 'is not a cursor this API returned' },
    ]);
  }
}
