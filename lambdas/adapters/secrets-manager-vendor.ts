/**
 * The Secrets Manager client and GetSecretValue, in one module that ingest's bundle leaves out and the stack builds
 * as a file of its own (lib/bundling.ts SIDE_BUNDLES): ingest reads the data key once per container, on its first
 * hook. From the runtime's SDK copy that read first required hundreds of files; this file is one. The other
 * functions bundle this module inline (they use the client anyway).
 */
export { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
