/**
 * Tenant secrets in AWS Secrets Manager: one secret per tenant, named `${prefix}${tenantId}`, holding the JSON of a
 * TenantSecret. Reads are cached in memory for a short TTL (one container serves many events of a tenant).
 * Values never reach a log or an error message.
 */
import { countRequests } from './request-counter';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { BadRequestError } from '../core/errors';
import type { Logger, SecretStore } from '../core/ports';
import type { TenantSecret } from '../core/model';
import { isTenantId } from '../core/identifiers';

export interface SecretsManagerSecretStoreOptions {
  /** Secret name prefix, e.g. `fineract-hooks/tenants/` (Settings.secretPrefix). */
  prefix: string;
  /** Defaults to a client from the environment (AWS_ENDPOINT_URL_SECRETS_MANAGER is honoured by the SDK). */
  client?: SecretsManagerClient;
  /** How long a read value is reused. Default 60 000 ms; 0 disables the cache. */
  cacheTtlMs?: number;
  /** Customer-managed KMS key for new secrets; the AWS-managed key otherwise. */
  kmsKeyId?: string;
  logger?: Logger;
  /** Milliseconds since the epoch (tests). */
  now?: () => number;
}

const RECOVERY_WINDOW_DAYS = 7;

interface CacheEntry {
  value: TenantSecret;
  expiresAt: number;
}

export class SecretsManagerSecretStore implements SecretStore {
  private readonly client: SecretsManagerClient;
  private readonly prefix: string;
  private readonly ttlMs: number;
  private readonly kmsKeyId?: string;
  private readonly logger?: Logger;
  private readonly now: () => number;
  private readonly cache = new Map<string, CacheEntry>();
  /** Bumped on every write/delete/forget: a read that started before it must not fill the cache afterwards. */
  private readonly generations = new Map<string, number>();
  /** Concurrent reads of one tenant share a request. */
  private readonly inflight = new Map<string, Promise<TenantSecret | undefined>>();

  constructor(options: SecretsManagerSecretStoreOptions) {
    this.client = options.client ?? countRequests(new SecretsManagerClient({}), 'SecretsManager');
    this.prefix = options.prefix;
    this.ttlMs = options.cacheTtlMs ?? 60_000;
    this.kmsKeyId = options.kmsKeyId;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
  }

  secretName(tenantId: string): string {
    if (!isTenantId(tenantId)) {
      throw new BadRequestError('The tenant id must be 1–64 letters, digits, "_" or "-".', undefined, 'invalid_tenant');
    }
    return `${this.prefix}${tenantId}`;
  }

  /**
   * `fresh` skips the cache (and refills it): for a reader that found the secret's registrationId older than the
   * tenant config's, i.e. a re-registration handled by another container within the TTL.
   */
  async getTenantSecret(tenantId: string, options?: { fresh?: boolean }): Promise<TenantSecret | undefined> {
    const name = this.secretName(tenantId);
    if (options?.fresh) this.forget(tenantId);
    const cached = this.cache.get(tenantId);
    if (cached && cached.expiresAt > this.now()) return cached.value;
    if (cached) this.cache.delete(tenantId);

    const pending = this.inflight.get(tenantId);
    if (pending) return pending;
    const generation = this.generation(tenantId);
    const read = this.read(tenantId, name)
      .then((value) => {
        // Only positive answers are cached: a registration in another container must be seen at once.
        if (value && this.ttlMs > 0 && this.generation(tenantId) === generation) {
          this.cache.set(tenantId, { value, expiresAt: this.now() + this.ttlMs });
        }
        return value;
      })
      .finally(() => {
        if (this.inflight.get(tenantId) === read) this.inflight.delete(tenantId);
      });
    this.inflight.set(tenantId, read);
    return read;
  }

  peekTenantSecret(tenantId: string): TenantSecret | undefined {
    const cached = this.cache.get(tenantId);
    return cached && cached.expiresAt > this.now() ? cached.value : undefined;
  }

  async putTenantSecret(tenantId: string, secret: TenantSecret): Promise<void> {
    const name = this.secretName(tenantId);
    const secretString = JSON.stringify(pickSecret(secret));
    this.forget(tenantId);
    try {
      await this.putValue(name, secretString);
    } catch (error) {
      if (isError(error, 'ResourceNotFoundException')) {
        await this.create(tenantId, name, secretString);
      } else if (isMarkedForDeletion(error)) {
        await this.restoreAndPut(tenantId, name, secretString);
      } else {
        throw error;
      }
    } finally {
      this.forget(tenantId);
    }
  }

  async deleteTenantSecret(tenantId: string): Promise<void> {
    const name = this.secretName(tenantId);
    this.forget(tenantId);
    try {
      await this.client.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: RECOVERY_WINDOW_DAYS }));
      this.logger?.info('tenant secret scheduled for deletion', { tenantId, recoveryWindowDays: RECOVERY_WINDOW_DAYS });
    } catch (error) {
      // Already gone, or already scheduled for deletion: the outcome the caller wants.
      if (!isError(error, 'ResourceNotFoundException') && !isMarkedForDeletion(error)) throw error;
    } finally {
      this.forget(tenantId);
    }
  }

  /** Drops the cached value of a tenant (e.g. when its config names a newer registrationId than the secret). */
  forget(tenantId: string): void {
    this.cache.delete(tenantId);
    this.inflight.delete(tenantId);
    this.generations.set(tenantId, this.generation(tenantId) + 1);
  }

  private generation(tenantId: string): number {
    return this.generations.get(tenantId) ?? 0;
  }

  private async read(tenantId: string, name: string): Promise<TenantSecret | undefined> {
    let secretString: string | undefined;
    try {
      const output = await this.client.send(new GetSecretValueCommand({ SecretId: name }));
      secretString = output.SecretString;
    } catch (error) {
      if (isError(error, 'ResourceNotFoundException') || isMarkedForDeletion(error)) return undefined;
      throw error;
    }
    return parseSecret(tenantId, secretString);
  }

  private async putValue(name: string, secretString: string): Promise<void> {
    await this.client.send(new PutSecretValueCommand({ SecretId: name, SecretString: secretString }));
  }

  private async create(tenantId: string, name: string, secretString: string): Promise<void> {
    try {
      await this.client.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: secretString,
          Description: `MifosX/Fineract hook receiver: SMS provider and MifosX credentials of tenant ${tenantId}`,
          ...(this.kmsKeyId ? { KmsKeyId: this.kmsKeyId } : {}),
        }),
      );
      this.logger?.info('tenant secret created', { tenantId });
    } catch (error) {
      if (isError(error, 'ResourceExistsException')) {
        // Another registration created it between our put and our create: ours is the newer value.
        await this.putValue(name, secretString);
      } else if (isMarkedForDeletion(error)) {
        await this.restoreAndPut(tenantId, name, secretString);
      } else {
        throw error;
      }
    }
  }

  /** A secret scheduled for deletion refuses writes until restored (a tenant re-registering within 7 days). */
  private async restoreAndPut(tenantId: string, name: string, secretString: string): Promise<void> {
    await this.client.send(new RestoreSecretCommand({ SecretId: name }));
    this.logger?.info('tenant secret restored from scheduled deletion', { tenantId });
    await this.putValue(name, secretString);
  }
}

function pickSecret(secret: TenantSecret): TenantSecret {
  const out: TenantSecret = { smsProviderToken: secret.smsProviderToken, registrationId: secret.registrationId };
  if (secret.mifosToken !== undefined) out.mifosToken = secret.mifosToken;
  return out;
}

/** Never echoes the value: a broken secret is reported by tenant and by what is wrong with it. */
function parseSecret(tenantId: string, secretString: string | undefined): TenantSecret {
  if (secretString === undefined) throw new Error(`The secret of tenant ${tenantId} has no SecretString.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw new Error(`The secret of tenant ${tenantId} is not valid JSON.`);
  }
  const record = parsed as Partial<Record<keyof TenantSecret, unknown>> | null;
  if (
    record === null ||
    typeof record !== 'object' ||
    typeof record.smsProviderToken !== 'string' ||
    typeof record.registrationId !== 'string' ||
    (record.mifosToken !== undefined && typeof record.mifosToken !== 'string')
  ) {
    throw new Error(`The secret of tenant ${tenantId} does not have the expected fields.`);
  }
  return pickSecret(record as TenantSecret);
}

function isError(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

/** InvalidRequestException "… because it was marked for deletion" / "… already scheduled for deletion". */
function isMarkedForDeletion(error: unknown): boolean {
  return isError(error, 'InvalidRequestException') && /delet/i.test((error as Error).message);
}
