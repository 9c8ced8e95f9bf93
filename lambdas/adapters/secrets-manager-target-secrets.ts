import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { TargetSecrets } from '../core/model';
import type { TargetSecretStore } from '../core/ports';

/**
 * Forwarding targets' signing secrets in Secrets Manager, one secret per target under the tenant secrets' prefix
 * (`{prefix}{tenantId}.targets.{targetId}`), so the functions' existing `{prefix}*` grants cover them. Read values
 * are cached briefly: a rotation keeps the old secret valid for 24 h, so a stale read still signs acceptably.
 */
export class SecretsManagerTargetSecretStore implements TargetSecretStore {
  private readonly client: SecretsManagerClient;
  private readonly cache = new Map<string, { value: TargetSecrets; expiresAt: number }>();

  constructor(
    private readonly options: { prefix: string; client?: SecretsManagerClient; cacheTtlMs?: number; kmsKeyId?: string },
  ) {
    this.client = options.client ?? new SecretsManagerClient({});
  }

  secretName(tenantId: string, targetId: string): string {
    return `${this.options.prefix}${tenantId}.targets.${targetId}`;
  }

  async getTargetSecrets(tenantId: string, targetId: string): Promise<TargetSecrets | undefined> {
    const name = this.secretName(tenantId, targetId);
    const cached = this.cache.get(name);
    if (cached && cached.expiresAt > Date.now()) return cached.value;
    try {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: name }));
      const value = JSON.parse(out.SecretString ?? '{}') as TargetSecrets;
      if (typeof value.secret !== 'string') throw new Error(`The secret of target ${targetId} has no signing secret.`);
      this.cache.set(name, { value, expiresAt: Date.now() + (this.options.cacheTtlMs ?? 30_000) });
      return value;
    } catch (error) {
      if (error instanceof Error && (error.name === 'ResourceNotFoundException' || /delet/i.test(error.message)))
        return undefined;
      throw error;
    }
  }

  async putTargetSecrets(tenantId: string, targetId: string, secrets: TargetSecrets): Promise<void> {
    const name = this.secretName(tenantId, targetId);
    this.cache.delete(name);
    const SecretString = JSON.stringify(secrets);
    try {
      await this.client.send(new PutSecretValueCommand({ SecretId: name, SecretString }));
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ResourceNotFoundException')) throw error;
      await this.client.send(
        new CreateSecretCommand({
          Name: name,
          SecretString,
          Description: `MifosX/Fineract hook receiver: signing secret of forwarding target ${targetId} of ${tenantId}`,
          ...(this.options.kmsKeyId ? { KmsKeyId: this.options.kmsKeyId } : {}),
        }),
      );
    }
  }

  async deleteTargetSecrets(tenantId: string, targetId: string): Promise<void> {
    const name = this.secretName(tenantId, targetId);
    this.cache.delete(name);
    try {
      await this.client.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ResourceNotFoundException')) throw error;
    }
  }
}
