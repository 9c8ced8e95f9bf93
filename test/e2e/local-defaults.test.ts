/**
 * Issue 9, `npm start`'s defaults: this machine only unless HOST says otherwise, enrollment and private endpoints
 * off when it listens beyond loopback (and the banner says so), data readable by its user only, and slow uploads
 * that do not hold the local worker back.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  createLocalHttpServer,
  type HttpLambda,
  LOCAL_HEADERS_TIMEOUT_MS,
  LOCAL_REQUEST_TIMEOUT_MS,
  type RequestTracker,
} from '../../lambdas/adapters/local/local-http';
import { startBanner } from '../../lambdas/wiring/local-banner';
import { isLoopbackHost, localSettings, startLocalReceiver } from '../../lambdas/wiring/local-receiver';
import { loadDelivery, withKey } from '../helpers/fixtures';
import { send, startTestReceiver, waitFor } from '../helpers/receiver';

jest.setTimeout(60_000);

const mode = (file: string) => statSync(file).mode & 0o777;

describe('bind address and what it exposes', () => {
  it('listens on 127.0.0.1 when no host is given, with open enrollment and private endpoints there', async () => {
    // Prepare
    const receiver = await startLocalReceiver({ port: 0, env: {}, sweepIntervalSeconds: 3600 });

    // Act
    const ping = await fetch(`${receiver.url}/modules/sms/`).then((r) => r.status);
    await receiver.close();

    // Assess
    expect(receiver.host).toBe('127.0.0.1');
    expect(receiver.loopbackOnly).toBe(true);
    expect(receiver.settings.openEnrollment).toBe(true);
    expect(receiver.settings.allowPrivateEndpoints).toBe(true);
    expect(ping).toBe(200);
  });

  it.each(['0.0.0.0', '::', '192.168.1.20', 'my-laptop.lan'])(
    'beyond loopback (%s) enrollment and private endpoints are off unless set explicitly',
    (host) => {
      // Act
      const defaults = localSettings({}, 'http://127.0.0.1:3000', host);
      const explicit = localSettings(
        { OPEN_ENROLLMENT: 'true', ALLOW_PRIVATE_ENDPOINTS: 'true' },
        'http://127.0.0.1:3000',
        host,
      );

      // Assess
      expect(isLoopbackHost(host)).toBe(false);
      expect([defaults.openEnrollment, defaults.allowPrivateEndpoints]).toEqual([false, false]);
      expect([explicit.openEnrollment, explicit.allowPrivateEndpoints]).toEqual([true, true]);
    },
  );

  it.each(['127.0.0.1', '127.0.0.2', '::1', '[::1]', 'localhost'])('%s counts as loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it('the banner says who can reach the server and what that exposes', () => {
    // Prepare
    const common = { port: 3000, smsMode: 'dry run', dataDir: './.data', lanAddresses: ['192.168.1.20'] };

    // Act
    const local = startBanner({
      ...common,
      host: '127.0.0.1',
      loopbackOnly: true,
      settings: { openEnrollment: true, allowPrivateEndpoints: true },
    });
    const exposed = startBanner({
      ...common,
      host: '0.0.0.0',
      loopbackOnly: false,
      settings: { openEnrollment: false, allowPrivateEndpoints: false },
    });

    // Assess
    expect(local).toContain('listening on 127.0.0.1:3000');
    expect(local).toContain('this machine only');
    expect(local).not.toContain('192.168.1.20');
    expect(exposed).toContain('listening on 0.0.0.0:3000');
    expect(exposed).toContain('REACHABLE FROM THE NETWORK');
    expect(exposed).toContain('enrollment operator only');
    expect(exposed).toContain('private endpoints refused');
    expect(exposed).toContain('http://192.168.1.20:3000/modules/sms/');
  });
});

describe('file modes', () => {
  it('data directory 0700 (also when it existed), secrets, outbox and server file 0600', async () => {
    // Prepare
    const dataDir = mkdtempSync(path.join(tmpdir(), 'fhr-modes-'));
    chmodSync(dataDir, 0o755);
    const test = await startTestReceiver({ dataDir });
    try {
      const key = (await send(test.url, loadDelivery('mifosx-sms-registration'))).body as string;

      // Act
      await send(test.url, withKey(loadDelivery('mifosx-sms-send-ugd'), key));
      const outbox = path.join(dataDir, 'outbox.jsonl');
      await waitFor(() => existsSync(outbox), 10_000, 'the outbox to be written');

      // Assess
      expect(mode(dataDir)).toBe(0o700);
      expect(mode(path.join(dataDir, 'dynamodb'))).toBe(0o700);
      expect(mode(path.join(dataDir, 'secrets.json'))).toBe(0o600);
      expect(mode(outbox)).toBe(0o600);
      expect(mode(path.join(dataDir, 'server.json'))).toBe(0o600);
    } finally {
      await test.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

/** Opens a request whose body never finishes arriving. */
function slowUpload(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        'POST /modules/sms/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"a":',
      );
      resolve(socket);
    });
    socket.on('error', reject);
  });
}

describe('slow uploads', () => {
  it('a request counts as work only once its body has arrived; client time is bounded', async () => {
    // Prepare
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let handled = 0;
    const handler: HttpLambda = async (): Promise<APIGatewayProxyStructuredResultV2> => {
      handled++;
      await held;
      return { statusCode: 200, body: '{}' };
    };
    const tracker: RequestTracker = { active: 0 };
    const server = createLocalHttpServer(
      { ingest: handler, register: handler, admin: handler, twilioStatus: handler },
      { maxBodyBytes: 1024 * 1024, tracker },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const sockets = await Promise.all([slowUpload(port), slowUpload(port), slowUpload(port)]);

    try {
      // Act
      await new Promise((resolve) => setTimeout(resolve, 100));
      const whileUploading = tracker.active;
      const answered = fetch(`http://127.0.0.1:${port}/modules/sms/`, { method: 'POST', body: '{}' });
      await waitFor(() => handled === 1, 5_000, 'the complete request to reach its handler');
      const whileHandling = tracker.active;
      release();
      const status = (await answered).status;

      // Assess
      expect(whileUploading).toBe(0);
      expect(whileHandling).toBe(1);
      expect(status).toBe(200);
      expect(tracker.active).toBe(0);
      expect(server.headersTimeout).toBe(LOCAL_HEADERS_TIMEOUT_MS);
      expect(server.requestTimeout).toBe(LOCAL_REQUEST_TIMEOUT_MS);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('the local worker keeps sending while slow unauthenticated uploads are open', async () => {
    // Prepare
    const test = await startTestReceiver();
    const sockets = await Promise.all([slowUpload(test.receiver.port), slowUpload(test.receiver.port)]);
    try {
      const key = (await send(test.url, loadDelivery('mifosx-sms-registration'))).body as string;
      const outbox = path.join(test.dataDir, 'outbox.jsonl');

      // Act
      const posted = await send(test.url, withKey(loadDelivery('mifosx-sms-send-ugd'), key));

      // Assess
      expect(posted.status).toBe(200);
      await waitFor(() => existsSync(outbox), 10_000, 'the SMS to be sent while uploads are open');
    } finally {
      for (const socket of sockets) socket.destroy();
      await test.stop();
    }
  });
});
