import { GetSecretValueCommand, SecretsManagerClient } from './secrets-manager-vendor';

/**
 * One read of the data key document. Reached by dynamic import (data-protection.ts): bundled inline, so its static
 * import of the vendor module becomes a `require` that ingest's bundle resolves to the file beside it, where a
 * dynamic import of the vendor itself would stay an ES module import that finds no `.js`-less file.
 */
export async function readSecretString(secretId: string, clientConfig: object): Promise<string> {
  const client = new SecretsManagerClient(clientConfig);
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!out.SecretString) throw new Error('the data key secret has no string value');
    return out.SecretString;
  } finally {
    client.destroy();
  }
}
