import express, { type Request } from 'express';
import { createConsoleLookupsRepository } from '../../data-access/console-lookups-repository';
import { createDeadLetterActionsRepository } from '../../data-access/dead-letter-actions-repository';
import {
  createDeadLetterGroupsRepository,
  groupMarkTarget,
} from '../../data-access/dead-letter-groups-repository';
import {
  createDeadLetterIndexRepository,
  type IndexedDeadLetter,
} from '../../data-access/dead-letter-index-repository';
import { deadLetterTarget } from '../../domain/operator-audit';
import { NotFoundError } from '../../shared/app-error';
import { requireConsoleRole } from './console-auth';
import { integerField, queryInteger, requiredText } from './console-input';
import type { ConsoleFeatureContext } from './console-dependencies';
import { ConsoleActionRefusedError, createFailureActions } from './failure-actions';
import { recordView, revealedPayload } from './failure-views';
import { answerWithProgress } from './progress-stream';

const GROUP_KEY = /^[0-9a-f]{16}$/;

/**
 * /console/api/failures: dead letters grouped by cause, one record shown (payload only once
 * revealed, and audited), dry runs, replay and skip with a reason (one record, or a whole group
 * confirmed by its count and capped), and "under investigation" marks.
 */
export function failuresRoutes(dependencies: ConsoleFeatureContext): express.Router {
  const { db, settings } = dependencies;
  const index = createDeadLetterIndexRepository(db);
  const groups = createDeadLetterGroupsRepository(db);
  const lookups = createConsoleLookupsRepository(db);
  const failures = createFailureActions({
    producer: dependencies.replayProducer,
    decoder: dependencies.decoder,
    topicPrefix: dependencies.topicPrefix,
    actions: createDeadLetterActionsRepository(db),
    lookups,
  });
  const operator = requireConsoleRole('operator');
  const router = express.Router({ caseSensitive: true, strict: true });

  const groupKeyOf = (req: Request) => {
    const key = String(req.params.groupId);
    if (!GROUP_KEY.test(key)) throw new NotFoundError(`No dead-letter group ${key}`);
    return key;
  };
  const recordOf = async (req: Request): Promise<IndexedDeadLetter> => {
    const { topic, partition, offset } = req.params as Record<string, string>;
    const found =
      /^\d{1,9}$/.test(partition ?? '') && /^\d{1,19}$/.test(offset ?? '')
        ? await index.find({
            dlqTopic: String(topic),
            dlqPartition: Number(partition),
            dlqOffset: String(offset),
          })
        : undefined;
    if (!found) throw new NotFoundError(`No indexed dead letter ${topic}/${partition}/${offset}`);
    return found;
  };
  const targetOf = (entry: IndexedDeadLetter) =>
    deadLetterTarget(entry.dlqTopic, entry.dlqPartition, entry.dlqOffset);
  const acting = (req: Request, reason: string) => ({
    actor: req.consoleUser.subject,
    role: req.consoleUser.role ?? 'viewer',
    via: 'console' as const,
    reason,
  });

  /** The group's unhandled records for a bulk action, once confirmed and within the cap. */
  const bulkSelection = async (req: Request) => {
    const groupKey = groupKeyOf(req);
    const limit = settings.bulkActionLimit;
    const pending = await index.pendingOfGroup(groupKey, limit + 1);
    if (pending.length > limit) {
      throw new ConsoleActionRefusedError(
        `The group has more than ${limit} unhandled records (CONSOLE_BULK_ACTION_LIMIT): act on ` +
          'fewer at a time with npm run dlq, or raise the limit; nothing was changed',
        { limit },
      );
    }
    const confirmed = integerField(req, 'confirmCount');
    if (confirmed !== pending.length) {
      throw new ConsoleActionRefusedError(
        `Confirm the number of records: the group has ${pending.length} unhandled now ` +
          `(confirmCount was ${confirmed ?? 'missing'}); nothing was changed`,
        { pending: pending.length },
      );
    }
    return pending;
  };

  router.get('/groups', async (req, res) => {
    const pendingOnly = req.query.status !== 'all';
    const listed = await dependencies.sharedReads.read(`groups:${pendingOnly}`, async () => ({
      groups: await groups.groups({ pendingOnly }),
      generatedAt: new Date().toISOString(),
    }));
    res.json(listed);
  });

  router.get('/groups/:groupId', async (req, res) => {
    const groupKey = groupKeyOf(req);
    const [group] = await groups.groups({ pendingOnly: false, groupKey });
    if (!group) throw new NotFoundError(`No dead-letter group ${groupKey}`);
    const limit = queryInteger(req, 'limit', { min: 1, max: 500, fallback: 100 });
    const offset = queryInteger(req, 'offset', { min: 0, max: 10_000_000, fallback: 0 });
    const records = await groups.records(groupKey, { limit, offset });
    res.json({
      group,
      bulkActionLimit: settings.bulkActionLimit,
      records: records.map((record) => ({ ...recordView(record), mark: record.mark })),
      page: { limit, offset },
    });
  });

  router.post('/groups/:groupId/dry-run', async (req, res) => {
    const pending = await index.pendingOfGroup(groupKeyOf(req), settings.bulkActionLimit);
    res.json({ lines: await failures.dryRun(pending) });
  });

  // A page asking for application/x-ndjson sees each chunk done (progress-stream.ts).
  router.post('/groups/:groupId/replay', operator, async (req, res) => {
    const reason = requiredText(req, 'reason');
    const selection = await bulkSelection(req);
    await answerWithProgress(req, res, dependencies.logger, (report) =>
      failures.replay(selection, req.consoleUser, reason, report),
    );
  });

  router.post('/groups/:groupId/skip', operator, async (req, res) => {
    const reason = requiredText(req, 'reason');
    const selection = await bulkSelection(req);
    await answerWithProgress(req, res, dependencies.logger, (report) =>
      failures.skip(selection, req.consoleUser, reason, report),
    );
  });

  router.post('/groups/:groupId/mark', operator, async (req, res) => {
    const target = groupMarkTarget(groupKeyOf(req));
    await groups.mark(target, acting(req, requiredText(req, 'note')));
    res.json({ target, mark: await groups.markOf(target) });
  });

  router.post('/groups/:groupId/unmark', operator, async (req, res) => {
    const target = groupMarkTarget(groupKeyOf(req));
    const changed = await groups.unmark(target, acting(req, requiredText(req, 'reason')));
    res.json({ target, unmarked: changed });
  });

  const RECORD = '/records/:topic/:partition/:offset';

  router.get(RECORD, async (req, res) => {
    const entry = await recordOf(req);
    res.json({ ...recordView(entry), mark: await groups.markOf(targetOf(entry)) });
  });

  // A viewer may read payloads too, one at a time and on the record: every reveal is audited.
  router.post(`${RECORD}/reveal`, async (req, res) => {
    const entry = await recordOf(req);
    const reason = typeof req.body?.reason === 'string' ? requiredText(req, 'reason') : 'reveal';
    await lookups.audit([
      { ...acting(req, reason), action: 'reveal', target: targetOf(entry), result: 'done' },
    ]);
    res.json(revealedPayload(entry, await failures.decode(entry)));
  });

  router.post(`${RECORD}/dry-run`, async (req, res) => {
    res.json({ lines: await failures.dryRun([await recordOf(req)]) });
  });

  router.post(`${RECORD}/replay`, operator, async (req, res) => {
    const reason = requiredText(req, 'reason');
    const entry = await recordOf(req);
    if (entry.handled?.action === 'replayed' && req.body?.again !== true) {
      throw new ConsoleActionRefusedError(
        `Already replayed at ${entry.handled.at.toISOString()}; send again: true to replay it once more`,
      );
    }
    const earlier = await index.earlierPendingOfOrder(entry);
    if (earlier > 0 && req.body?.outOfOrder !== true) {
      throw new ConsoleActionRefusedError(
        `${earlier} earlier dead letter(s) of order ${entry.orderId} are not handled: replay ` +
          'them first (their group), or send outOfOrder: true; nothing was replayed',
        { earlierPending: earlier },
      );
    }
    res.json(await failures.replay([entry], req.consoleUser, reason));
  });

  router.post(`${RECORD}/skip`, operator, async (req, res) => {
    const reason = requiredText(req, 'reason');
    const entry = await recordOf(req);
    if (entry.handled) {
      throw new ConsoleActionRefusedError(`Already ${entry.handled.action}; nothing was changed`);
    }
    res.json(await failures.skip([entry], req.consoleUser, reason));
  });

  router.post(`${RECORD}/mark`, operator, async (req, res) => {
    const target = targetOf(await recordOf(req));
    await groups.mark(target, acting(req, requiredText(req, 'note')));
    res.json({ target, mark: await groups.markOf(target) });
  });

  router.post(`${RECORD}/unmark`, operator, async (req, res) => {
    const target = targetOf(await recordOf(req));
    const changed = await groups.unmark(target, acting(req, requiredText(req, 'reason')));
    res.json({ target, unmarked: changed });
  });

  // Fills the index from the DLQ topics now (it also runs when the service starts).
  // It writes index rows and joins a consumer group per topic read: an operator's action.
  router.post('/reconcile', operator, async (_req, res) => {
    res.json(await dependencies.reconciler.run());
  });

  return router;
}
