/**
 * A loopback fake of the Secrets Manager JSON 1.1 API, enough for the real SDK client: CreateSecret,
 * PutSecretValue, GetSecretValue, DeleteSecret, RestoreSecret, DescribeSecret. Behaviour follows AWS: a secret
 * scheduled for deletion refuses reads and writes with InvalidRequestException until restored.
 *
 *   const fake = await FakeSecretsManager.start();
 *   const client = new SecretsManagerClient({ endpoint: fake.endpoint });
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface Version {
  secretString?: string;
  stages: string[];
  createdDate: number;
}

export interface FakeSecret {
  arn: string;
  name: string;
  description?: string;
  kmsKeyId?: string;
  createdDate: number;
  lastChangedDate: number;
  deletedDate?: number;
  versions: Map<string, Version>;
}

interface Failure {
  op: string;
  type: string;
  status: number;
  message: string;
}

type Json = Record<string, unknown>;

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const MARKED_FOR_DELETION = "You can't perform this operation on the secret because it was marked for deletion.";
const NOT_FOUND = "Secrets Manager can't find the specified secret.";

export class FakeSecretsManager {
  readonly secrets = new Map<string, FakeSecret>();
  /** Operation names, in order (`GetSecretValue`, …), including failed ones. */
  readonly calls: string[] = [];
  private readonly failures: Failure[] = [];
  private readonly region = 'us-east-1';
  private readonly account = '000000000000';

  private constructor(
    private readonly server: http.Server,
    readonly endpoint: string,
  ) {}

  static async start(): Promise<FakeSecretsManager> {
    let fake: FakeSecretsManager | undefined;
    const server = http.createServer((req, res) => {
      void fake!.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    fake = new FakeSecretsManager(server, `http://127.0.0.1:${port}`);
    return fake;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The next call of `op` fails with `type` (e.g. 'InternalServiceError', 500); `times` calls in a row. */
  failNext(op: string, type: string, status = 400, times = 1, message = `injected ${type}`): void {
    for (let i = 0; i < times; i++) this.failures.push({ op, type, status, message });
  }

  reset(): void {
    this.secrets.clear();
    this.calls.length = 0;
    this.failures.length = 0;
  }

  /** The current value of a secret, whatever its state (test assertions). */
  currentValue(name: string): string | undefined {
    const secret = this.secrets.get(name);
    if (!secret) return undefined;
    for (const version of secret.versions.values()) {
      if (version.stages.includes('AWSCURRENT')) return version.secretString;
    }
    return undefined;
  }

  /** Simulates the end of the recovery window. */
  purge(name: string): void {
    this.secrets.delete(name);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const op = target.startsWith('secretsmanager.') ? target.slice('secretsmanager.'.length) : '';
    this.calls.push(op || `?${target}`);
    try {
      if (req.method !== 'POST') throw new ApiError('UnknownOperationException', 'POST only', 404);
      if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256')) {
        throw new ApiError('UnrecognizedClientException', 'The security token included in the request is invalid.');
      }
      const index = this.failures.findIndex((f) => f.op === op);
      if (index >= 0) {
        const [failure] = this.failures.splice(index, 1);
        throw new ApiError(failure!.type, failure!.message, failure!.status);
      }
      const body = (chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {}) as Json;
      const result = this.dispatch(op, body);
      this.send(res, 200, result);
    } catch (error) {
      if (error instanceof ApiError) {
        this.send(res, error.status, { __type: error.type, message: error.message }, error.type);
      } else {
        this.send(res, 500, { __type: 'InternalServiceError', message: String(error) }, 'InternalServiceError');
      }
    }
  }

  private send(res: http.ServerResponse, status: number, body: Json, errorType?: string): void {
    const text = JSON.stringify(body);
    const headers: Record<string, string | number> = {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
    };
    if (errorType) headers['x-amzn-errortype'] = errorType;
    res.writeHead(status, headers);
    res.end(text);
  }

  private dispatch(op: string, body: Json): Json {
    switch (op) {
      case 'CreateSecret':
        return this.createSecret(body);
      case 'PutSecretValue':
        return this.putSecretValue(body);
      case 'GetSecretValue':
        return this.getSecretValue(body);
      case 'DeleteSecret':
        return this.deleteSecret(body);
      case 'RestoreSecret':
        return this.restoreSecret(body);
      case 'DescribeSecret':
        return this.describeSecret(body);
      default:
        throw new ApiError('UnknownOperationException', `The fake does not implement ${op || 'this target'}.`);
    }
  }

  private find(secretId: unknown): FakeSecret {
    if (typeof secretId !== 'string' || secretId === '') {
      throw new ApiError('InvalidParameterException', 'SecretId is required.');
    }
    const secret = this.secrets.get(secretId) ?? [...this.secrets.values()].find((s) => s.arn === secretId);
    if (!secret) throw new ApiError('ResourceNotFoundException', NOT_FOUND);
    return secret;
  }

  private live(secretId: unknown): FakeSecret {
    const secret = this.find(secretId);
    if (secret.deletedDate !== undefined) throw new ApiError('InvalidRequestException', MARKED_FOR_DELETION);
    return secret;
  }

  private addVersion(secret: FakeSecret, secretString: string | undefined, token: unknown): string {
    const versionId = typeof token === 'string' && token !== '' ? token : randomUUID();
    const existing = secret.versions.get(versionId);
    if (existing) {
      // Idempotent retry with the same token and value; a different value is an error (as in AWS).
      if (existing.secretString !== secretString) {
        throw new ApiError(
          'ResourceExistsException',
          'You can’t modify an existing version, you can only create a new version.',
        );
      }
      return versionId;
    }
    for (const [id, version] of secret.versions) {
      version.stages = version.stages.filter((stage) => stage !== 'AWSPREVIOUS');
      if (version.stages.includes('AWSCURRENT')) version.stages = ['AWSPREVIOUS'];
      if (version.stages.length === 0) secret.versions.delete(id);
    }
    const now = Date.now() / 1000;
    secret.versions.set(versionId, { secretString, stages: ['AWSCURRENT'], createdDate: now });
    secret.lastChangedDate = now;
    return versionId;
  }

  private createSecret(body: Json): Json {
    const name = body.Name;
    if (typeof name !== 'string' || !/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name)) {
      throw new ApiError('InvalidParameterException', 'Invalid name.');
    }
    const existing = this.secrets.get(name);
    if (existing?.deletedDate !== undefined) {
      throw new ApiError(
        'InvalidRequestException',
        "You can't create this secret because a secret with this name is already scheduled for deletion.",
      );
    }
    if (existing)
      throw new ApiError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
    const now = Date.now() / 1000;
    const secret: FakeSecret = {
      arn: `arn:aws:secretsmanager:${this.region}:${this.account}:secret:${name}-${randomBytes(3).toString('hex')}`,
      name,
      description: typeof body.Description === 'string' ? body.Description : undefined,
      kmsKeyId: typeof body.KmsKeyId === 'string' ? body.KmsKeyId : undefined,
      createdDate: now,
      lastChangedDate: now,
      versions: new Map(),
    };
    this.secrets.set(name, secret);
    const out: Json = { ARN: secret.arn, Name: name };
    if (typeof body.SecretString === 'string') {
      out.VersionId = this.addVersion(secret, body.SecretString, body.ClientRequestToken);
    }
    return out;
  }

  private putSecretValue(body: Json): Json {
    const secret = this.live(body.SecretId);
    if (typeof body.SecretString !== 'string') {
      throw new ApiError('InvalidParameterException', 'You must provide either SecretString or SecretBinary.');
    }
    const versionId = this.addVersion(secret, body.SecretString, body.ClientRequestToken);
    return { ARN: secret.arn, Name: secret.name, VersionId: versionId, VersionStages: ['AWSCURRENT'] };
  }

  private getSecretValue(body: Json): Json {
    const secret = this.live(body.SecretId);
    const stage = typeof body.VersionStage === 'string' ? body.VersionStage : 'AWSCURRENT';
    const entry = [...secret.versions.entries()].find(([id, v]) =>
      typeof body.VersionId === 'string' ? id === body.VersionId : v.stages.includes(stage),
    );
    if (!entry) {
      throw new ApiError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
      );
    }
    const [versionId, version] = entry;
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: versionId,
      SecretString: version.secretString,
      VersionStages: version.stages,
      CreatedDate: version.createdDate,
    };
  }

  private deleteSecret(body: Json): Json {
    const secret = this.find(body.SecretId);
    const force = body.ForceDeleteWithoutRecovery === true;
    const window = body.RecoveryWindowInDays;
    if (force && window !== undefined) {
      throw new ApiError(
        'InvalidParameterException',
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
      );
    }
    if (window !== undefined && (typeof window !== 'number' || window < 7 || window > 30)) {
      throw new ApiError(
        'InvalidParameterException',
        'RecoveryWindowInDays value must be between 7 and 30 days (inclusive).',
      );
    }
    const now = Date.now() / 1000;
    if (force) {
      this.secrets.delete(secret.name);
      return { ARN: secret.arn, Name: secret.name, DeletionDate: now };
    }
    if (secret.deletedDate !== undefined) throw new ApiError('InvalidRequestException', MARKED_FOR_DELETION);
    secret.deletedDate = now;
    const days = typeof window === 'number' ? window : 30;
    return { ARN: secret.arn, Name: secret.name, DeletionDate: now + days * 86400 };
  }

  private restoreSecret(body: Json): Json {
    const secret = this.find(body.SecretId);
    secret.deletedDate = undefined;
    return { ARN: secret.arn, Name: secret.name };
  }

  private describeSecret(body: Json): Json {
    const secret = this.find(body.SecretId);
    const out: Json = {
      ARN: secret.arn,
      Name: secret.name,
      CreatedDate: secret.createdDate,
      LastChangedDate: secret.lastChangedDate,
      VersionIdsToStages: Object.fromEntries([...secret.versions].map(([id, v]) => [id, v.stages])),
    };
    if (secret.description !== undefined) out.Description = secret.description;
    if (secret.kmsKeyId !== undefined) out.KmsKeyId = secret.kmsKeyId;
    if (secret.deletedDate !== undefined) out.DeletedDate = secret.deletedDate;
    return out;
  }
}
