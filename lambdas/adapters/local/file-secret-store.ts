/**
 * Local-mode twin of the Secrets Manager store: every tenant secret in `{dataDir}/secrets.json` (mode 0600),
 * replaced atomically (temp file + rename) and written one at a time within the process.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BadRequestError } from '../../core/errors';
import type { SecretStore, TargetSecretStore } from '../../core/ports';
import type { TargetSecrets, TenantSecret } from '../../core/model';
import { isTenantId } from '../../core/identifiers';

interface SecretsFile {
  version: 1;
  tenants: Record<string, TenantSecret>;
  /** Forwarding targets' signing secrets, keyed `{tenantId}/{targetId}`. */
  targets?: Record<string, TargetSecrets>;
}

export interface FileSecretStoreOptions {
  dataDir: string;
}

export class FileSecretStore implements SecretStore, TargetSecretStore {
  readonly filePath: string;
  private readonly dataDir: string;
  /** Writes are chained so two read-modify-write cycles never interleave. */
  private chain: Promise<void> = Promise.resolve();

  constructor(options: FileSecretStoreOptions) {
    this.dataDir = options.dataDir;
    this.filePath = path.join(options.dataDir, 'secrets.json');
  }

  async getTenantSecret(tenantId: string): Promise<TenantSecret | undefined> {
    checkTenantId(tenantId);
    await this.chain; // read our own writes
    const file = await this.load();
    const secret = Object.hasOwn(file.tenants, tenantId) ? file.tenants[tenantId] : undefined;
    return secret ? { ...secret } : undefined;
  }

  putTenantSecret(tenantId: string, secret: TenantSecret): Promise<void> {
    checkTenantId(tenantId);
    const value: TenantSecret = { smsProviderToken: secret.smsProviderToken, registrationId: secret.registrationId };
    if (secret.mifosToken !== undefined) value.mifosToken = secret.mifosToken;
    return this.update((tenants) => {
      tenants[tenantId] = value;
      return true;
    });
  }

  deleteTenantSecret(tenantId: string): Promise<void> {
    checkTenantId(tenantId);
    return this.update((tenants) => {
      if (!Object.hasOwn(tenants, tenantId)) return false;
      delete tenants[tenantId];
      return true;
    });
  }

  async getTargetSecrets(tenantId: string, targetId: string): Promise<TargetSecrets | undefined> {
    checkTenantId(tenantId);
    await this.chain;
    const targets = (await this.load()).targets ?? {};
    const key = `${tenantId}/${targetId}`;
    return Object.hasOwn(targets, key) ? { ...targets[key]! } : undefined;
  }

  putTargetSecrets(tenantId: string, targetId: string, secrets: TargetSecrets): Promise<void> {
    checkTenantId(tenantId);
    return this.updateFile((file) => {
      file.targets = { ...(file.targets ?? {}), [`${tenantId}/${targetId}`]: { ...secrets } };
      return true;
    });
  }

  deleteTargetSecrets(tenantId: string, targetId: string): Promise<void> {
    checkTenantId(tenantId);
    return this.updateFile((file) => {
      const key = `${tenantId}/${targetId}`;
      if (!file.targets || !Object.hasOwn(file.targets, key)) return false;
      delete file.targets[key];
      return true;
    });
  }

  private update(mutate: (tenants: Record<string, TenantSecret>) => boolean): Promise<void> {
    return this.updateFile((file) => mutate(file.tenants));
  }

  private updateFile(mutate: (file: SecretsFile) => boolean): Promise<void> {
    const run = this.chain.then(async () => {
      const file = await this.load();
      if (mutate(file)) await this.save(file);
    });
    // The chain survives a failed write; the caller still sees the failure.
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async load(): Promise<SecretsFile> {
    let text: string;
    try {
      text = await fs.readFile(this.filePath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, tenants: {} };
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as Partial<SecretsFile>;
      if (!parsed || typeof parsed.tenants !== 'object' || parsed.tenants === null) throw new Error('no tenants');
      return { version: 1, tenants: { ...parsed.tenants }, targets: { ...(parsed.targets ?? {}) } };
    } catch {
      // Never overwrite a file we cannot read: it holds the other tenants' secrets.
      throw new Error(`${this.filePath} is not a valid secrets file; fix or remove it.`);
    }
  }

  private async save(file: SecretsFile): Promise<void> {
    await fs.mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    const temp = `${this.filePath}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const handle = await fs.open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(file, null, 2)}\n`, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temp, this.filePath);
    } catch (error) {
      await fs.rm(temp, { force: true });
      throw error;
    }
  }
}

function checkTenantId(tenantId: string): void {
  if (!isTenantId(tenantId)) {
    throw new BadRequestError('The tenant id must be 1–64 letters, digits, "_" or "-".', undefined, 'invalid_tenant');
  }
}
