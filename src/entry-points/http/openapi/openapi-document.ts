import { z } from 'zod';
import { cancelBodySchema } from '../../../domain/cancel-order-use-case';
import { newOrderSchema } from '../../../domain/new-order-schema';
import { idempotencyKeySchema } from '../../../domain/place-order-use-case';
import { serviceVersion } from '../../../shared/service-version';
import { orderIdSchema } from '../../../domain/order-view';
import { listQuerySchema, ORDERS_PATH } from '../order-routes';
import { responseSchemas } from './response-schemas';

/**
 * The OpenAPI 3.1 document of the public port, built from the zod schemas the routes validate
 * with (requests) and from response-schemas.ts (answers). Served at `/openapi.json`;
 * openapi-routes.test.ts keeps its paths equal to the routes the app serves.
 */
export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PATH = '/docs';

type JsonSchema = Record<string, unknown>;

/** A request schema as clients send it (`io: 'input'`: before defaults and transforms). */
function inputSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  });
  return jsonSchema;
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
const header = (description: string, schema: JsonSchema = { type: 'string' }) => ({
  description,
  schema,
});
const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });

/** Every answer carries its request id; the rest are added per status. */
const withRequestId = (headers: Record<string, unknown> = {}) => ({
  'X-Request-Id': headerRef('X-Request-Id'),
  ...headers,
});

const PROBLEMS: Record<number, string> = {
  400: 'The request does not fit the schema (`errors` lists each field)',
  401: 'No bearer token, or one that is not accepted',
  403: 'The token is valid but may not do this',
  404: 'No such order, or one the caller may not see',
  409: 'The order can no longer be cancelled (`currentStatus` says why)',
  413: 'The body, decompressed, is larger than the largest valid one (the detail names the limit)',
  415: 'The body is not application/json',
  422: 'The Idempotency-Key was used before with another body',
  429: 'Too many requests of this kind from this caller this minute; retry after `Retry-After`',
  503: 'A dependency (database, token keys) is unavailable, or the instance is overloaded; retry after `Retry-After`',
};

function problems(...statuses: number[]): Record<string, unknown> {
  return Object.fromEntries(
    statuses.map((status) => [String(status), { $ref: `#/components/responses/Problem${status}` }]),
  );
}

function problemResponse(status: number) {
  const extra: Record<string, unknown> =
    status === 401
      ? { 'WWW-Authenticate': headerRef('WWW-Authenticate') }
      : status === 429 || status === 503
        ? { 'Retry-After': headerRef('Retry-After') }
        : {};
  return {
    description: PROBLEMS[status],
    headers: withRequestId(extra),
    content: { 'application/problem+json': { schema: ref('Problem') } },
  };
}

const requestIdParameter = { $ref: '#/components/parameters/X-Request-Id' };
const orderIdParameter = {
  name: 'id',
  in: 'path',
  required: true,
  schema: inputSchema(orderIdSchema),
};

/** Query parameters from the strict object schema that validates `req.query`. */
function queryParameters(schema: z.ZodObject): unknown[] {
  const { properties = {}, required = [] } = inputSchema(schema) as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.includes(name),
    schema: property,
  }));
}

const bodyErrors = [400, 401, 413, 415, 503];
const secured = [{ bearerAuth: [] }];

const paths = {
  '/health': {
    get: {
      tags: ['Health'],
      summary: 'Liveness: the process answers',
      parameters: [requestIdParameter],
      responses: {
        200: { description: 'Alive', headers: withRequestId(), content: json(ref('Status')) },
      },
    },
  },
  '/ready': {
    get: {
      tags: ['Health'],
      summary: 'Readiness: every dependency answers (reasons are on the admin port only)',
      parameters: [requestIdParameter],
      responses: {
        200: { description: 'Ready', headers: withRequestId(), content: json(ref('Status')) },
        503: { description: 'Not ready', headers: withRequestId(), content: json(ref('Status')) },
      },
    },
  },
  [OPENAPI_PATH]: {
    get: {
      tags: ['Documentation'],
      summary: 'This document',
      parameters: [requestIdParameter],
      responses: {
        200: { description: 'OpenAPI 3.1', headers: withRequestId(), content: json({}) },
      },
    },
  },
  [DOCS_PATH]: {
    get: {
      tags: ['Documentation'],
      summary: 'This document, browsable (Swagger UI)',
      parameters: [requestIdParameter],
      responses: {
        200: {
          description: 'An HTML page',
          headers: withRequestId(),
          content: { 'text/html': { schema: { type: 'string' } } },
        },
      },
    },
  },
  [ORDERS_PATH]: {
    post: {
      tags: ['Orders'],
      summary: 'Place an order; the saga then runs it to CONFIRMED, FAILED or CANCELLED',
      security: secured,
      parameters: [
        requestIdParameter,
        {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description: 'A repeat with the same key and body answers with the same order',
          schema: inputSchema(idempotencyKeySchema),
        },
      ],
      requestBody: { required: true, content: json(inputSchema(newOrderSchema)) },
      responses: {
        202: {
          description: 'Accepted: stored as PENDING, the saga has started',
          headers: withRequestId({
            Location: header('The new order', { type: 'string', format: 'uri-reference' }),
            'Idempotent-Replayed': header('True when an earlier request created this order', {
              type: 'string',
              enum: ['true', 'false'],
            }),
            RateLimit: header('Remaining orders this minute (IETF draft 8)'),
            'RateLimit-Policy': header('The limit per minute (IETF draft 8)'),
          }),
          content: json(ref('Order')),
        },
        ...problems(...bodyErrors, 403, 422, 429),
      },
    },
    get: {
      tags: ['Orders'],
      summary: 'List orders, newest first (a customer sees only its own)',
      security: secured,
      parameters: [requestIdParameter, ...queryParameters(listQuerySchema)],
      responses: {
        200: { description: 'One page', headers: withRequestId(), content: json(ref('OrderPage')) },
        ...problems(400, 401, 403, 429, 503),
      },
    },
  },
  [`${ORDERS_PATH}/{id}`]: {
    get: {
      tags: ['Orders'],
      summary: 'One order with its status history',
      security: secured,
      parameters: [requestIdParameter, orderIdParameter],
      responses: {
        200: { description: 'The order', headers: withRequestId(), content: json(ref('Order')) },
        ...problems(400, 401, 404, 429, 503),
      },
    },
  },
  [`${ORDERS_PATH}/{id}/cancel`]: {
    post: {
      tags: ['Orders'],
      summary: 'Cancel an order that is not yet confirmed (a refund follows once paid)',
      security: secured,
      parameters: [requestIdParameter, orderIdParameter],
      requestBody: { required: false, content: json(inputSchema(cancelBodySchema)) },
      responses: {
        200: {
          description: 'Cancelled (or compensating)',
          headers: withRequestId(),
          content: json(ref('Order')),
        },
        ...problems(...bodyErrors, 404, 409, 429),
      },
    },
  },
};

function buildDocument() {
  const { schemas } = z.toJSONSchema(responseSchemas, {
    uri: (id) => `#/components/schemas/${id}`,
    unrepresentable: 'any',
  });
  for (const schema of Object.values(schemas)) delete schema.$schema;
  return {
    openapi: '3.1.0',
    info: {
      title: 'Order service',
      version: serviceVersion(),
      description:
        'Places and follows orders in a choreographed saga (payment, then inventory). ' +
        'Amounts are integer minor units of the order currency. Errors are RFC 9457 problems.',
    },
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'HS256 with AUTH_JWT_SECRET, or RS256/ES256 from AUTH_JWKS_URL; `sub` is the customer, ' +
            'a `roles` claim with `operator` makes an operator',
        },
      },
      parameters: {
        'X-Request-Id': {
          name: 'X-Request-Id',
          in: 'header',
          required: false,
          description: 'Echoed back and logged; a new one is made when absent or unusable',
          schema: { type: 'string' },
        },
      },
      headers: {
        'X-Request-Id': header('The id every log line of this request carries'),
        'Retry-After': header('Seconds to wait before trying again', {
          type: 'string',
          pattern: '^[0-9]+$',
        }),
        'WWW-Authenticate': header('The bearer challenge (RFC 6750), with the error'),
      },
      responses: Object.fromEntries(
        Object.keys(PROBLEMS).map((status) => [
          `Problem${status}`,
          problemResponse(Number(status)),
        ]),
      ),
    },
  };
}

let built: ReturnType<typeof buildDocument> | undefined;

/** The document, built once: it depends only on the code. */
export function openApiDocument() {
  built ??= buildDocument();
  return built;
}
