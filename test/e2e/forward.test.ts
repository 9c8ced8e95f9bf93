/**
 * Forwarding through the local server: a Fineract Web hook and an SMS Bridge hook of the fixtures reach a real
 * receiver on 127.0.0.1 that verifies every signature with the reference `standardwebhooks` package; one event
 * subscribed through both hooks gives one SMS and one forward, whichever hook arrives first.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { type SmsBridgeSession, type SmsBridgeWorld, startSmsBridgeWorld } from '../helpers/sms-bridge-session';
import { waitFor } from '../helpers/receiver';

interface Hit {
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe('forwarding e2e: Web and SMS Bridge hooks to a signed receiver', () => {
  let world: SmsBridgeWorld;
  let fineract: SmsBridgeSession;
  let server: http.Server;
  let targetUrl: string;
  let secret: string;
  const hits: Hit[] = [];
  const script: number[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        hits.push({ headers: req.headers, body });
        res.writeHead(script.shift() ?? 200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    targetUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fineract-events`;
    world = await startSmsBridgeWorld({
      env: { RETRY_SCHEDULE_SECONDS: '0.1,0.2,0.2', ALLOW_PRIVATE_ENDPOINTS: 'true' },
    });
    fineract = world.session({ flavour: 'fineract' });
    await fineract.register();
    const created = await world.request({
      method: 'POST',
      path: '/tenants/default/targets',
      headers: { authorization: `Bearer ${fineract.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: targetUrl }),
    });
    expect(created.status).toBe(201);
    secret = (created.body as { secret: string }).secret;
  });

  afterAll(async () => {
    await world.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    hits.length = 0;
    script.length = 0;
    world.twilio.reset();
  });

  const verify = (hit: Hit) =>
    new Webhook(secret).verify(hit.body, {
      'webhook-id': String(hit.headers['webhook-id']),
      'webhook-timestamp': String(hit.headers['webhook-timestamp']),
      'webhook-signature': String(hit.headers['webhook-signature']),
    }) as { type: string; data: Record<string, unknown> };
  const waitForHits = (count: number) => waitFor(() => hits.length >= count && hits, 10_000, `${count} forward(s)`);
  const web = (fixture: string, body?: Record<string, unknown>) =>
    fineract.sendEvent(fixture, { key: null, path: `/hooks/${fineract.key}/`, body });

  it('forwards a Web hook event, signed, in the envelope', async () => {
    // Act
    const sent = await web('fineract-web-json-loan-repayment-envelope');
    await fineract.waitForStatus(sent.eventId!, 'forwarded');

    // Assess
    expect(sent.status).toBe(200);
    expect(hits).toHaveLength(1);
    expect(verify(hits[0]!)).toMatchObject({ type: 'loan.repayment', data: { eventId: sent.eventId } });
    expect(world.twilio.messages).toHaveLength(0);
    expect(world.receiver.logger.text()).not.toContain(secret.slice('whsec_'.length));
  });

  it('retries 500 and 503 and delivers on 200 with one webhook-id', async () => {
    // Prepare
    script.push(500, 503, 200);

    // Act
    const sent = await web('fineract-web-json-loan-repayment-envelope', { timestamp: '2024-10-24T10:00:00Z' });
    await fineract.waitForStatus(sent.eventId!, 'forwarded');

    // Assess
    expect(hits).toHaveLength(3);
    expect(new Set(hits.map((h) => h.headers['webhook-id'])).size).toBe(1);
    for (const hit of hits) expect(() => verify(hit)).not.toThrow();
  });

  it('Web then SMS Bridge: exactly one SMS and one forward', async () => {
    // Prepare
    const body = { timestamp: '2024-10-24T11:00:00Z' };
    const first = await web('fineract-sms-client-create-envelope', body);
    await fineract.waitForStatus(first.eventId!, 'forwarded');

    // Act
    const second = await fineract.sendEvent('fineract-sms-client-create-envelope', { body });
    await fineract.waitForStatus(first.eventId!, 'sent');
    await world.settle();

    // Assess
    expect(second.body).toMatchObject({ status: 'duplicate', eventId: first.eventId });
    expect(world.twilio.messages).toHaveLength(1);
    expect(hits).toHaveLength(1);
  });

  it('SMS Bridge then Web: exactly one SMS and one forward', async () => {
    // Prepare
    const body = { timestamp: '2024-10-24T12:00:00Z' };
    const first = await fineract.sendEvent('fineract-sms-client-create-envelope', { body });
    await fineract.waitForStatus(first.eventId!, 'sent');

    // Act
    await web('fineract-sms-client-create-envelope', body);
    await waitForHits(1);
    await world.settle();

    // Assess
    expect(world.twilio.messages).toHaveLength(1);
    expect(hits).toHaveLength(1);
    expect(verify(hits[0]!)).toMatchObject({ type: 'client.create' });
  });
});
