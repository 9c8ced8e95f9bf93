/**
 * Personal data at rest: the recipient's number and the hook body (which holds `mobileNo`) are sealed with
 * AES-256-GCM by the DynamoDB stores, and phone numbers are findable only through a keyed hash (HMAC-SHA-256 of
 * the E.164 number). Both keys are derived (HKDF) from one key document: a Secrets Manager secret the stack
 * generates, or DATA_DIR/data-key.json locally.
 *
 * The key document is flat JSON so Secrets Manager can generate it: `{"current":"k1","hash":"k1","k1":"<random>"}`.
 * Every other string property is key material named by its property. `current` seals new data; older keys stay
 * to open what they sealed (each envelope names its key). `hash` never changes: a new hash key would orphan every
 * stored hash. To rotate, add `"k2":"<random>"` and set `"current":"k2"`.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { PhoneHasher } from '../core/ports';
import { HOOK_BODY_DICTIONARY_V1 } from './hook-body-dictionary';

export interface DataKeyDocument {
  current: string;
  hash: string;
  [keyId: string]: string;
}

/** Where the key document comes from. */
export interface DataKeySource {
  load(): Promise<string>;
}

/** v1: `[1][key id length][key id][iv][tag][ciphertext]`, the plaintext as given. */
const ENVELOPE_VERSION = 1;
/** v2: `[2][format][key id length][key id][iv][tag][ciphertext]`, the plaintext encoded as `format` names. */
const ENVELOPE_VERSION_FORMATTED = 2;

/**
 * How a plaintext may be encoded before it is sealed (compression must come first: ciphertext does not compress).
 * The envelope names the format, so what was sealed before a format existed opens as it always did. Ids are stored
 * data: never reuse or change one.
 */
export const SEAL_FORMATS = {
  /** DEFLATE (raw) with the hook-body dictionary v1: hook bodies of a few hundred bytes shrink by half or more. */
  'deflate-hook-body-v1': {
    id: 1,
    // A 4 KB window and smaller hash tables: the same size on a hook body at a quarter of the CPU (zlib sets up its
    // default 256 KB of state for every call). Any window decodes with inflate's default, so stored data is unchanged.
    encode: (plain: Buffer) =>
      deflateRawSync(plain, { level: 9, windowBits: 12, memLevel: 5, dictionary: HOOK_BODY_DICTIONARY_V1 }),
    decode: (encoded: Buffer) => inflateRawSync(encoded, { dictionary: HOOK_BODY_DICTIONARY_V1 }),
  },
} as const;
export type SealFormat = keyof typeof SEAL_FORMATS;
const FORMAT_BY_ID = new Map(Object.values(SEAL_FORMATS).map((format) => [format.id as number, format]));
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

function derive(material: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(material, 'utf8'), Buffer.alloc(0), `fhr ${purpose} v1`, 32));
}

/** The keys of one key document, ready to use (everything synchronous from here on). */
export class DataKeyring {
  private readonly sealKeys = new Map<string, Buffer>();
  private readonly hashKey: Buffer;
  readonly currentKeyId: string;

  constructor(document: string) {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(document) as Record<string, unknown>;
    } catch {
      throw new Error('the data key document is not JSON');
    }
    const { current, hash, ...keys } = parsed;
    for (const [id, material] of Object.entries(keys)) {
      if (typeof material !== 'string' || material.length < 32 || !KEY_ID.test(id)) continue;
      this.sealKeys.set(id, derive(material, `seal ${id}`));
    }
    const hashMaterial = typeof hash === 'string' ? keys[hash] : undefined;
    if (typeof current !== 'string' || !this.sealKeys.has(current) || typeof hashMaterial !== 'string') {
      throw new Error('the data key document needs "current" and "hash" naming keys of 32+ characters');
    }
    this.currentKeyId = current;
    this.hashKey = derive(hashMaterial, 'phone hash');
  }

  /** Hex HMAC-SHA-256 of an E.164 number: equal numbers give equal hashes, and nothing leads back to the number. */
  hashPhone(e164: string): string {
    return createHmac('sha256', this.hashKey).update(e164, 'utf8').digest('hex');
  }

  /**
   * `[version]([format])[key id length][key id][iv][tag][ciphertext]`; `context` (the field's name) is authenticated
   * too. With a `format`, the plaintext is encoded first when that makes it smaller (else sealed as it is, v1).
   * The format byte is authenticated with the context, so an envelope cannot be made to decode another way.
   */
  seal(plain: Buffer | string, context: string, format?: SealFormat): Buffer {
    const bytes = typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain;
    const codec = format === undefined ? undefined : SEAL_FORMATS[format];
    const encoded = codec?.encode(bytes);
    const header =
      codec && encoded && encoded.length < bytes.length
        ? Buffer.from([ENVELOPE_VERSION_FORMATTED, codec.id])
        : Buffer.from([ENVELOPE_VERSION]);
    const content = header.length === 2 ? encoded! : bytes;
    const id = Buffer.from(this.currentKeyId, 'utf8');
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.sealKeys.get(this.currentKeyId)!, iv);
    cipher.setAAD(aad(context, header));
    const body = Buffer.concat([cipher.update(content), cipher.final()]);
    return Buffer.concat([header, Buffer.from([id.length]), id, iv, cipher.getAuthTag(), body]);
  }

  open(envelope: Uint8Array, context: string): Buffer {
    const data = Buffer.from(envelope);
    const version = data[0];
    if (version !== ENVELOPE_VERSION && version !== ENVELOPE_VERSION_FORMATTED) {
      throw new Error('unknown sealed-data envelope version');
    }
    const headerLength = version === ENVELOPE_VERSION ? 1 : 2;
    const codec = version === ENVELOPE_VERSION ? undefined : FORMAT_BY_ID.get(data[1] ?? -1);
    if (version === ENVELOPE_VERSION_FORMATTED && !codec) throw new Error('unknown sealed-data format');
    const idLength = data[headerLength] ?? 0;
    const keyId = data.subarray(headerLength + 1, headerLength + 1 + idLength).toString('utf8');
    const key = this.sealKeys.get(keyId);
    if (!key) throw new Error(`sealed with key "${keyId}", which the data key document no longer holds`);
    const at = headerLength + 1 + idLength;
    const iv = data.subarray(at, at + IV_BYTES);
    const tag = data.subarray(at + IV_BYTES, at + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(aad(context, data.subarray(0, headerLength)));
    decipher.setAuthTag(tag);
    const content = Buffer.concat([decipher.update(data.subarray(at + IV_BYTES + TAG_BYTES)), decipher.final()]);
    return codec ? codec.decode(content) : content;
  }
}

/** v1 envelopes authenticate the context alone (as they always did); v2 adds its header after it. */
function aad(context: string, header: Buffer): Buffer {
  const name = Buffer.from(context, 'utf8');
  return header.length === 1 ? name : Buffer.concat([name, Buffer.from([0]), header]);
}

/** A new key document: what the stack's generated secret and the local key file look like. */
export function newDataKeyDocument(): string {
  return JSON.stringify({ current: 'k1', hash: 'k1', k1: randomBytes(32).toString('base64') });
}

/**
 * The keyring of one process, loaded once on first use (a failed load is tried again on the next use). The stores
 * take it; `prefetch` starts the load early (at init) so the first request does not wait for it.
 */
export class DataProtection implements PhoneHasher {
  private loading: Promise<DataKeyring> | undefined;

  constructor(private readonly source: DataKeySource) {}

  keyring(): Promise<DataKeyring> {
    if (!this.loading) {
      const loading = this.source.load().then((document) => new DataKeyring(document));
      loading.catch(() => {
        if (this.loading === loading) this.loading = undefined;
      });
      this.loading = loading;
    }
    return this.loading;
  }

  prefetch(): void {
    this.keyring().catch(() => undefined);
  }

  async hashPhone(e164: string): Promise<string> {
    return (await this.keyring()).hashPhone(e164);
  }
}

/**
 * The key document from Secrets Manager. The client is loaded on first use: ingest's cold start (which only seals
 * once a hook is stored) does not pay for requiring it up front; ingest finds it in a file beside its bundle.
 */
export function secretsManagerDataKeySource(secretId: string, clientConfig: object = {}): DataKeySource {
  return {
    async load() {
      const { readSecretString } = await import('./secrets-manager-data-key');
      return readSecretString(secretId, clientConfig);
    },
  };
}

/** Where no data key is configured: everything works but a phone search, which says why. */
export const noPhoneHashing: PhoneHasher = {
  hashPhone: async () => {
    throw new Error('phone search needs the data key (DATA_KEY_SECRET_ARN), which this deployment does not set');
  },
};
