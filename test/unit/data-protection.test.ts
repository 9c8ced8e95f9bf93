import { randomBytes } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataKeyring, DataProtection, newDataKeyDocument } from '../../lambdas/adapters/data-protection';
import { fileDataKeySource } from '../../lambdas/adapters/local/file-data-key';
import { thrownBy } from '../helpers/errors';

const K1 = 'a'.repeat(43);
const K2 = 'b'.repeat(43);

describe('DataKeyring', () => {
  test('hashes a number the same way every time, under a key: no one without it can test a guess', () => {
    // Prepare
    const ring = new DataKeyring(JSON.stringify({ current: 'k1', hash: 'k1', k1: K1 }));
    const otherKey = new DataKeyring(JSON.stringify({ current: 'k1', hash: 'k1', k1: K2 }));

    // Act
    const hash = ring.hashPhone('+254712345678');

    // Assess
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(ring.hashPhone('+254712345678')).toBe(hash);
    expect(ring.hashPhone('+254712345679')).not.toBe(hash);
    expect(otherKey.hashPhone('+254712345678')).not.toBe(hash);
  });

  test('seals and opens; the envelope names its key, so data sealed before a rotation still opens after it', () => {
    // Prepare
    const before = new DataKeyring(JSON.stringify({ current: 'k1', hash: 'k1', k1: K1 }));
    const after = new DataKeyring(JSON.stringify({ current: 'k2', hash: 'k1', k1: K1, k2: K2 }));

    // Act
    const old = before.seal('+254712345678', 'message.to');
    const fresh = after.seal('+254712345678', 'message.to');

    // Assess
    expect(old.toString('latin1')).not.toContain('254712345678');
    expect(after.open(old, 'message.to').toString()).toBe('+254712345678');
    expect(after.open(fresh, 'message.to').toString()).toBe('+254712345678');
    expect(fresh.subarray(2, 2 + fresh[1]!).toString()).toBe('k2');
    // The hash key stays the first one: stored hashes keep matching.
    expect(after.hashPhone('+254712345678')).toBe(before.hashPhone('+254712345678'));
  });

  test('refuses an envelope moved to another field, a tampered one, and one whose key is gone', () => {
    // Prepare
    const ring = new DataKeyring(JSON.stringify({ current: 'k2', hash: 'k2', k2: K2 }));
    const sealed = ring.seal('secret text', 'event.rawBody');
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1]! ^= 1;
    const foreign = new DataKeyring(JSON.stringify({ current: 'k1', hash: 'k1', k1: K1 })).seal('x', 'event.rawBody');

    // Act
    const moved = thrownBy(() => ring.open(sealed, 'message.to'));
    const changed = thrownBy(() => ring.open(tampered, 'event.rawBody'));
    const unknownKey = thrownBy(() => ring.open(foreign, 'event.rawBody'));

    // Assess
    // node:crypto's own error (another realm's Error under Jest): GCM's authentication failed.
    expect(String(moved)).toMatch(/unable to authenticate/);
    expect(String(changed)).toMatch(/unable to authenticate/);
    expect(String(unknownKey)).toContain('"k1"');
  });

  test('a format compresses before sealing when that shrinks the data, and the envelope says so', () => {
    // Prepare
    const ring = new DataKeyring(JSON.stringify({ current: 'k1', hash: 'k1', k1: K1 }));
    const envelope = JSON.stringify({
      createdByName: 'mifos',
      request: { firstname: 'Jane', lastname: 'Doe', mobileNo: '254712345678', locale: 'en' },
      clientId: 42,
      entityName: 'CLIENT',
      actionName: 'CREATE',
      createdByFullName: 'App Administrator',
    });
    const noise = randomBytes(64);

    // Act
    const compressed = ring.seal(envelope, 'event.rawBody', 'deflate-hook-body-v1');
    const asIs = ring.seal(noise, 'event.rawBody', 'deflate-hook-body-v1');

    // Assess
    expect(compressed[0]).toBe(2);
    expect(compressed.length).toBeLessThan(ring.seal(envelope, 'event.rawBody').length - 100);
    expect(ring.open(compressed, 'event.rawBody').toString()).toBe(envelope);
    // Incompressible data is sealed as it is, in the envelope every reader knows.
    expect(asIs[0]).toBe(1);
    expect(ring.open(asIs, 'event.rawBody')).toEqual(noise);
  });

  test('refuses an envelope whose format byte was changed (the format is authenticated)', () => {
    // Prepare
    const ring = new DataKeyring(JSON.stringify({ current: 'k1', hash: 'k1', k1: K1 }));
    const sealed = ring.seal('{"createdByName":"mifos","locale":"en"}', 'event.rawBody', 'deflate-hook-body-v1');
    const unknownFormat = Buffer.from(sealed);
    unknownFormat[1] = 200;

    // Act
    const refused = thrownBy(() => ring.open(unknownFormat, 'event.rawBody'));

    // Assess
    expect(sealed[0]).toBe(2);
    expect(String(refused)).toMatch(/unknown sealed-data format/);
  });

  test('refuses a key document without a current and a hash key of 32+ characters', () => {
    // Act
    const errors = [
      '{}',
      'not json',
      JSON.stringify({ current: 'k1', hash: 'k1', k1: 'short' }),
      JSON.stringify({ current: 'k9', hash: 'k1', k1: K1 }),
    ].map((doc) => thrownBy(() => new DataKeyring(doc)));

    // Assess
    for (const error of errors) expect(error).toBeInstanceOf(Error);
  });
});

describe('DataProtection and the local key file', () => {
  test('generates DATA_DIR/data-key.json once (mode 0600), and a second process reads the same key', async () => {
    // Prepare
    const dir = mkdtempSync(path.join(tmpdir(), 'fhr-key-'));

    // Act
    const first = await new DataProtection(fileDataKeySource(dir)).hashPhone('+254712345678');
    const second = await new DataProtection(fileDataKeySource(dir)).hashPhone('+254712345678');

    // Assess
    expect(second).toBe(first);
    expect(statSync(path.join(dir, 'data-key.json')).mode & 0o777).toBe(0o600);
  });

  test('a failed load is tried again on the next use', async () => {
    // Prepare
    let calls = 0;
    const protection = new DataProtection({
      load: async () => {
        calls += 1;
        if (calls === 1) throw new Error('throttled');
        return newDataKeyDocument();
      },
    });

    // Act
    const first = await protection.hashPhone('+1').catch((error: Error) => error.message);
    const second = await protection.hashPhone('+1');

    // Assess
    expect(first).toBe('throttled');
    expect(second).toMatch(/^[0-9a-f]{64}$/);
  });
});
