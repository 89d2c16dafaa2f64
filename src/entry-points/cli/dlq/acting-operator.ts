import type { ActingOperator } from '../../../data-access/dead-letter-actions-repository';
import { CliError } from './cli-errors';

/**
 * A replay or skip is audited with who acted and why, whoever calls it (the CLI checks its
 * command line first; another caller, such as the console, gets the same rule here): both are
 * required, the reason one printable line of at most 500 characters.
 */
export function auditedOperator(operator: ActingOperator): ActingOperator {
  const reason = operator.reason.trim();
  if (!operator.actor.trim() || !reason) {
    throw new CliError(
      "a replay or skip needs who acts and why: both are written to the operators' audit " +
        '(nothing was changed)',
    );
  }
  if (/[\p{Cc}\p{Cf}]/u.test(operator.actor + reason)) {
    throw new CliError('the actor and the reason must be printable text (nothing was changed)');
  }
  return { ...operator, reason: reason.slice(0, 500) };
}
