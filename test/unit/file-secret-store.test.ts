import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileSecretStore } from '../../lambdas/adapters/local/file-secret-store';
import type { TenantSecret } from '../../lambdas/core/model';

describe('FileSecretStore', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'secrets-file-'));
  });

  afterEach(async () => {
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  const secret = (registrationId: string): TenantSecret => ({
    smsProviderToken: `tw-${registrationId}`,
    mifosToken: 'bWlmb3M6cGFzc3dvcmQ=',
    registrationId,
  });

  it('reads nothing before anything was written', async () => {
    // Prepare
    const store = new FileSecretStore({ dataDir: path.join(dataDir, 'not-yet') });
    // Act
    const read = await store.getTenantSecret('default');
    // Assess
    expect(read).toBeUndefined();
  });

  it('writes secrets.json with mode 0600 and reads it back from a new instance', async () => {
    // Prepare
    const store = new FileSecretStore({ dataDir: path.join(dataDir, 'data') });
    // Act
    await store.putTenantSecret('default', secret('r1'));
    const read = await new FileSecretStore({ dataDir: path.join(dataDir, 'data') }).getTenantSecret('default');
    // Assess
    expect(read).toEqual(secret('r1'));
    const stat = await fs.stat(path.join(dataDir, 'data', 'secrets.json'));
    expect(stat.mode & 0o777).toBe(0o600);
  });

  it('serialises concurrent writes so none is lost, and leaves no temp files', async () => {
    // Prepare
    const store = new FileSecretStore({ dataDir });
    const tenants = Array.from({ length: 20 }, (_, i) => `tenant-${i}`);
    // Act
    await Promise.all(tenants.map((t) => store.putTenantSecret(t, secret(t))));
    await store.deleteTenantSecret('tenant-3');
    // Assess
    const file = JSON.parse(await fs.readFile(store.filePath, 'utf8')) as { tenants: Record<string, TenantSecret> };
    expect(Object.keys(file.tenants).sort()).toEqual(tenants.filter((t) => t !== 'tenant-3').sort());
    expect((await fs.readdir(dataDir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('updates and deletes, and deleting an unknown tenant is fine', async () => {
    // Prepare
    const store = new FileSecretStore({ dataDir });
    await store.putTenantSecret('default', secret('r1'));
    // Act
    await store.putTenantSecret('default', secret('r2'));
    const updated = await store.getTenantSecret('default');
    await store.deleteTenantSecret('default');
    await store.deleteTenantSecret('unknown');
    const deleted = await store.getTenantSecret('default');
    // Assess
    expect(updated?.registrationId).toBe('r2');
    expect(deleted).toBeUndefined();
  });

  it('refuses to overwrite a corrupt file, and keeps working after the failure', async () => {
    // Prepare
    const store = new FileSecretStore({ dataDir });
    await fs.writeFile(store.filePath, '{ not json');
    // Act
    const failed = store.putTenantSecret('default', secret('r1'));
    await expect(failed).rejects.toThrow(/not a valid secrets file/);
    const corrupt = await fs.readFile(store.filePath, 'utf8');
    await fs.rm(store.filePath);
    await store.putTenantSecret('default', secret('r2'));
    // Assess
    expect(corrupt).toBe('{ not json');
    expect((await store.getTenantSecret('default'))?.registrationId).toBe('r2');
  });

  it('does not resolve inherited object keys as tenants', async () => {
    // Prepare
    const store = new FileSecretStore({ dataDir });
    await store.putTenantSecret('default', secret('r1'));
    // Act
    const read = await store.getTenantSecret('constructor');
    // Assess
    expect(read).toBeUndefined();
  });
});
