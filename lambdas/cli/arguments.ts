import { Argument, InvalidArgumentError } from 'commander';
import { EVENT_STATUSES, type EventStatus } from '../core/model';
import { isValidDefaultCountry } from '../core/phone';
import { TENANT_ID_PATTERN } from '../core/identifiers';
import { validateTemplate } from '../core/templates';

/**
 * Parsers for arguments and option values: a bad value stops the command before it touches any store, with
 * commander's message and exit code 2.
 */

export function tenantIdArgument(): Argument {
  return new Argument('<tenantId>', 'tenant id (the Fineract-Platform-TenantId)').argParser((value: string) => {
    if (!TENANT_ID_PATTERN.test(value))
      throw new InvalidArgumentError('A tenant id is 1-64 letters, digits, "_" or "-".');
    return value;
  });
}

export function templateKeyArgument(): Argument {
  return new Argument('<ENTITY.ACTION>', 'event key, e.g. LOAN.REPAYMENT').argParser((value: string) => {
    const key = value.toUpperCase();
    if (!/^[A-Z0-9_]+\.[A-Z0-9_]+$/.test(key))
      throw new InvalidArgumentError('The key is ENTITY.ACTION, e.g. LOAN.REPAYMENT.');
    return key;
  });
}

export function templateArgument(): Argument {
  return new Argument('<template>', 'Mustache text (quote it); "" silences the event').argParser((value: string) => {
    try {
      validateTemplate(value);
    } catch (error) {
      throw new InvalidArgumentError(`Not a valid Mustache template: ${(error as Error).message}`);
    }
    return value;
  });
}

export function parseStatuses(value: string): EventStatus[] {
  const list = value.split(',').map((s) => s.trim());
  const unknown = list.filter((s) => !(EVENT_STATUSES as readonly string[]).includes(s));
  if (unknown.length)
    throw new InvalidArgumentError(`Unknown status "${unknown[0]}"; one of ${EVENT_STATUSES.join(', ')}.`);
  return list as EventStatus[];
}

export function parsePositiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('Expected a whole number of at least 1.');
  return n;
}

export function parseHours(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('Expected a number of hours (0 or more).');
  return n;
}

/** Registration compares scheme, host, port and path segments with it, so it must parse as a URL. */
export function parseEndpointPrefix(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('Expected an http(s) URL prefix.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new InvalidArgumentError('Expected an http(s) URL prefix.');
  if (url.search || url.hash || url.username || url.password)
    throw new InvalidArgumentError('Expected scheme, host, port and path only (no query, fragment or user).');
  return value;
}

/** An empty value clears the setting. */
export function parseDefaultCountry(value: string): string {
  if (value !== '' && !isValidDefaultCountry(value))
    throw new InvalidArgumentError('Expected an ISO code (KE) or a calling code (254).');
  return value;
}

/** An empty value clears the setting. */
export function parseMessagingService(value: string): string {
  if (value !== '' && !/^MG[0-9a-f]{32}$/i.test(value))
    throw new InvalidArgumentError('Expected a Twilio Messaging Service SID (MG…).');
  return value;
}

/** For a repeatable option (`--event A --event B`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
