/**
 * A current Apache Fineract (≥ 1.9) with an SMS Bridge hook against the local receiver: registration at the host
 * root, X-Fineract-* headers, envelope bodies (data from the envelope first, callbacks only for what is missing),
 * host-root delivery (1.5–1.6), pings, and failed commands.
 */
import { type SmsBridgeSession, type SmsBridgeWorld, startSmsBridgeWorld } from '../helpers/sms-bridge-session';

const FROM = '+15005550006';

describe('SMS Bridge e2e: Fineract (X-Fineract-* headers, envelopes)', () => {
  let world: SmsBridgeWorld;
  let fineract: SmsBridgeSession;

  beforeAll(async () => {
    world = await startSmsBridgeWorld({
      fineract: { basePath: '/fineract-provider/api/v1/', tenantHeader: 'fineract' },
      env: { RETRY_SCHEDULE_SECONDS: '0.1,0.2' },
    });
    world.fineract.addClient({ id: 42, firstname: 'Jane', lastname: 'Doe', mobileNo: '254712345678' });
    world.fineract.addLoan({ id: 7, accountNo: '000000007', clientId: 42, clientName: 'Jane Doe' });
    fineract = world.session({ flavour: 'fineract' });
  });

  afterAll(async () => {
    await world.stop();
  });

  beforeEach(() => {
    world.twilio.reset();
    world.fineract.requests.length = 0;
  });

  it('registers at the host root /configuration and answers 201 with a JSON string literal', async () => {
    // Prepare
    const body = fineract.registrationBody();

    // Act
    const registered = await fineract.register();
    const tenant = await fineract.tenant();

    // Assess
    expect(body.endpoint).toBe(`${world.fineract.origin}/fineract-provider/api/`);
    expect(registered.response.status).toBe(201);
    expect(JSON.parse(registered.response.text)).toBe(registered.key);
    expect(tenant).toMatchObject({
      tenantId: 'default',
      phoneNo: FROM,
      endpoint: body.endpoint,
      apiBase: `${world.fineract.origin}/fineract-provider/api/v1/`,
    });
    expect(world.twilio.messages).toHaveLength(0);
  });

  it('texts a client create envelope from the envelope alone, without calling Fineract back', async () => {
    // Prepare
    expect(fineract.key).toBeDefined();

    // Act
    const sent = await fineract.sendEvent('fineract-sms-client-create-envelope');
    const event = await fineract.waitForStatus(sent.eventId!, 'sent');
    await world.settle();

    // Assess
    expect(sent.status).toBe(200);
    expect(event).toMatchObject({ source: 'fineract', shape: 'envelope', status: 'sent' });
    expect(event.outcome?.callbacks).toEqual([]);
    expect(world.fineract.requests).toHaveLength(0);
    expect(world.twilio.messages).toHaveLength(1);
    expect(world.twilio.messages[0]).toMatchObject({
      to: '+254712345678',
      from: FROM,
      body: 'Hello Jane Doe, welcome at Mifos X!',
      statusCallback: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/twilio\/status\/default\//),
    });
  });

  it('calls back {endpoint}v1/loans/7 for a repayment envelope (accountNo is not in it) with the Fineract tenant header', async () => {
    // Prepare
    const fixture = 'fineract-web-json-loan-repayment-envelope'; // a Web-hook recording, sent as the SMS Bridge sends it

    // Act
    const sent = await fineract.sendEvent(fixture);
    const event = await fineract.waitForStatus(sent.eventId!, 'sent');
    await world.settle();

    // Assess
    expect(sent.status).toBe(200);
    expect(event.outcome?.callbacks).toEqual(['loans', 'clients']);
    expect(world.fineract.requests.map((r) => r.path)).toEqual([
      '/fineract-provider/api/v1/loans/7',
      '/fineract-provider/api/v1/clients/42',
    ]);
    for (const request of world.fineract.requests) {
      expect(request.headers['fineract-platform-tenantid']).toBe('default');
      expect(request.headers['x-mifos-platform-tenantid']).toBe('default');
      expect(request.headers.authorization).toBe(`Basic ${world.fineract.token}`);
    }
    expect(world.twilio.messages).toHaveLength(1);
    expect(world.twilio.messages[0]).toMatchObject({
      to: '+254712345678',
      from: FROM,
      body: 'Hello Jane Doe, repayment for 000000007 received!',
    });
  });

  it('takes events POSTed to the host root (Fineract 1.5–1.6 ignore the Payload URL path)', async () => {
    // Prepare
    const amina = {
      clientId: 44,
      request: { firstname: 'Amina', lastname: 'Otieno', mobileNo: '254712345670' },
      response: { clientId: 44, resourceId: 44 },
    };

    // Act
    const sent = await fineract.sendEvent('fineract-sms-client-create-envelope', { path: '/', body: amina });
    await fineract.waitForStatus(sent.eventId!, 'sent');
    await world.settle();

    // Assess
    expect(sent.status).toBe(200);
    expect(world.fineract.requests).toHaveLength(0);
    expect(world.twilio.messages).toHaveLength(1);
    expect(world.twilio.messages[0]).toMatchObject({
      to: '+254712345670',
      from: FROM,
      body: 'Hello Amina Otieno, welcome at Mifos X!',
    });
  });

  it('answers the ping at GET / and GET /modules/sms/ with 200', async () => {
    // Prepare
    const paths = ['/', '/modules/sms/'];

    // Act
    const answers = await Promise.all(paths.map((path) => fineract.ping(path)));

    // Assess
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(answers[0]!.body).toMatchObject({ status: 'ok' });
    expect(world.twilio.messages).toHaveLength(0);
  });

  it('records a failed command (envelope without response) as failed-command with 200 and never texts it', async () => {
    // Prepare
    const fixture = 'fineract-web-json-loan-repayment-failed';

    // Act
    const sent = await fineract.sendEvent(fixture, { path: '/modules/sms/' });
    const event = await fineract.waitForStatus(sent.eventId!, 'failed-command');
    await world.settle();

    // Assess
    expect(sent.status).toBe(200);
    expect(event).toMatchObject({ shape: 'failed-envelope', failed: true, status: 'failed-command', attempts: 1 });
    expect(await fineract.messages(sent.eventId!)).toHaveLength(0);
    expect(world.fineract.requests).toHaveLength(0);
    expect(world.twilio.messages).toHaveLength(0);
  });

  it('records a Fineract 1.5–1.8 failed command ("status":"Exception" with an error response) without texting', async () => {
    // Prepare
    const exception = {
      status: 'Exception',
      request: { transactionDate: '25 October 2030' },
      response: { developerMessage: 'The transaction date cannot be in the future.', httpStatusCode: '403' },
    };

    // Act
    const sent = await fineract.sendEvent('fineract-web-json-loan-repayment-failed', { body: exception });
    const event = await fineract.waitForStatus(sent.eventId!, 'failed-command');
    await world.settle();

    // Assess
    expect(sent.status).toBe(200);
    expect(event.failed).toBe(true);
    expect(world.fineract.requests).toHaveLength(0);
    expect(world.twilio.messages).toHaveLength(0);
  });
});
