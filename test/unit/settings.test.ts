import { DEFAULT_RETRY_SCHEDULE, MissingSettingError, parseSchedule, readSettings } from '../../lambdas/core/settings';

describe('readSettings defaults', () => {
  it('retries for at least 20 hours before an event is dead', () => {
    // Prepare
    const env = {};

    // Act
    const settings = readSettings(env);
    const total = settings.retryScheduleSeconds.reduce((sum, s) => sum + s, 0);

    // Assess
    expect(settings.retryScheduleSeconds).toEqual(DEFAULT_RETRY_SCHEDULE);
    expect(total).toBeGreaterThanOrEqual(72000);
  });

  it('grows the retry schedule monotonically from a quick first retry', () => {
    // Prepare
    const env = {};

    // Act
    const schedule = readSettings(env).retryScheduleSeconds;

    // Assess
    expect(schedule[0]).toBeLessThanOrEqual(60);
    for (let i = 1; i < schedule.length; i++) expect(schedule[i]).toBeGreaterThan(schedule[i - 1]!);
  });

  it('has the documented defaults', () => {
    // Prepare
    const env = {};

    // Act
    const settings = readSettings(env);

    // Assess
    expect(settings).toMatchObject({
      tenantsTable: 'hook-tenants',
      eventsTable: 'hook-events',
      secretPrefix: 'fineract-hooks/tenants/',
      openEnrollment: false,
      allowPrivateEndpoints: false,
      smsDryRun: false,
      keyGraceSeconds: 86400,
      maxBodyBytes: 1024 * 1024,
      authCacheSeconds: 60,
      sweepGraceSeconds: 300,
      eventRetentionDays: 90,
      fineractTimeoutMs: 8000,
      fineractTlsInsecure: false,
      fineractNotFoundRetrySeconds: 60,
    });
    expect(settings.queueUrl).toBeUndefined();
    expect(settings.deadLetterQueueUrl).toBeUndefined();
    expect(settings.publicBaseUrl).toBeUndefined();
    expect(settings.twilioApiBaseUrl).toBeUndefined();
  });

  it('keeps the Fineract timeout under the sender’s ~10 s budget', () => {
    // Prepare
    const env = {};

    // Act
    const settings = readSettings(env);

    // Assess
    expect(settings.fineractTimeoutMs).toBeLessThan(10_000);
  });
});

describe('readSettings from the environment', () => {
  it('reads every value it is given', () => {
    // Prepare
    const env = {
      TENANTS_TABLE: 't-table',
      EVENTS_TABLE: 'e-table',
      QUEUE_URL: 'https://sqs.example/q',
      DLQ_URL: 'https://sqs.example/dlq',
      SECRET_PREFIX: 'p/',
      PUBLIC_BASE_URL: 'https://hooks.example.org//',
      TWILIO_API_BASE_URL: 'http://127.0.0.1:9999',
      KEY_GRACE_SECONDS: '3600',
      MAX_BODY_BYTES: '2048',
      AUTH_CACHE_SECONDS: '0',
      SWEEP_GRACE_SECONDS: '30',
      EVENT_RETENTION_DAYS: '7',
      FINERACT_TIMEOUT_MS: '5000',
      FINERACT_NOT_FOUND_RETRY_SECONDS: '10',
    };

    // Act
    const settings = readSettings(env);

    // Assess
    expect(settings).toMatchObject({
      tenantsTable: 't-table',
      eventsTable: 'e-table',
      queueUrl: 'https://sqs.example/q',
      deadLetterQueueUrl: 'https://sqs.example/dlq',
      secretPrefix: 'p/',
      publicBaseUrl: 'https://hooks.example.org',
      twilioApiBaseUrl: 'http://127.0.0.1:9999',
      keyGraceSeconds: 3600,
      maxBodyBytes: 2048,
      authCacheSeconds: 0,
      sweepGraceSeconds: 30,
      eventRetentionDays: 7,
      fineractTimeoutMs: 5000,
      fineractNotFoundRetrySeconds: 10,
    });
  });

  it('gives Twilio the status function URL when the stack sets one, else the public base URL', () => {
    // Prepare
    const own = { PUBLIC_BASE_URL: 'https://hooks.example.org', STATUS_CALLBACK_BASE_URL: 'https://abc.on.aws/' };
    const publicOnly = { PUBLIC_BASE_URL: 'https://hooks.example.org/', STATUS_CALLBACK_BASE_URL: '' };

    // Act
    const withUrl = readSettings(own);
    const without = readSettings(publicOnly);
    const neither = readSettings({});

    // Assess
    expect(withUrl.statusCallbackBaseUrl).toBe('https://abc.on.aws');
    expect(withUrl.publicBaseUrl).toBe('https://hooks.example.org');
    expect(without.statusCallbackBaseUrl).toBe('https://hooks.example.org');
    expect(neither.statusCallbackBaseUrl).toBeUndefined();
  });

  it('treats empty optional URLs as unset', () => {
    // Prepare
    const env = { QUEUE_URL: '', DLQ_URL: '', PUBLIC_BASE_URL: '', TWILIO_API_BASE_URL: '' };

    // Act
    const settings = readSettings(env);

    // Assess
    expect(settings.queueUrl).toBeUndefined();
    expect(settings.deadLetterQueueUrl).toBeUndefined();
    expect(settings.publicBaseUrl).toBeUndefined();
    expect(settings.twilioApiBaseUrl).toBeUndefined();
  });

  it.each([
    ['1', true],
    ['true', true],
    ['TRUE', true],
    ['yes', true],
    ['on', true],
    [' true ', true],
    ['0', false],
    ['false', false],
    ['no', false],
    ['off', false],
    ['maybe', false],
  ])('reads the boolean %p as %p', (value, expected) => {
    // Prepare
    const env = { OPEN_ENROLLMENT: value, ALLOW_PRIVATE_ENDPOINTS: value, SMS_DRY_RUN: value };

    // Act
    const settings = readSettings(env);

    // Assess
    expect(settings.openEnrollment).toBe(expected);
    expect(settings.allowPrivateEndpoints).toBe(expected);
    expect(settings.smsDryRun).toBe(expected);
  });

  it('uses the default for an empty boolean', () => {
    // Prepare
    const env = { OPEN_ENROLLMENT: '' };

    // Act
    const settings = readSettings(env);

    // Assess
    expect(settings.openEnrollment).toBe(false);
  });

  it.each([
    ['KEY_GRACE_SECONDS', 'abc'],
    ['MAX_BODY_BYTES', '-1'],
    ['AUTH_CACHE_SECONDS', 'Infinity'],
    ['EVENT_RETENTION_DAYS', 'ten'],
  ])('throws on %s=%p', (name, value) => {
    // Prepare
    const env = { [name]: value };

    // Act
    const act = () => readSettings(env);

    // Assess
    expect(act).toThrow(/non-negative number/);
    expect(act).toThrow(value);
  });

  it('reads RETRY_SCHEDULE_SECONDS', () => {
    // Prepare
    const env = { RETRY_SCHEDULE_SECONDS: '1,2,4' };

    // Act
    const settings = readSettings(env);

    // Assess
    expect(settings.retryScheduleSeconds).toEqual([1, 2, 4]);
  });
});

describe('parseSchedule', () => {
  it.each<[string, number[]]>([
    ['1,2,4', [1, 2, 4]],
    [' 1 , 2 , 4 ', [1, 2, 4]],
    ['30', [30]],
    ['0.2,0.5', [0.2, 0.5]],
  ])('reads %p as %p', (value, expected) => {
    // Prepare
    const input = value;

    // Act
    const schedule = parseSchedule(input);

    // Assess
    expect(schedule).toEqual(expected);
  });

  it.each([undefined, ''])('falls back to the default schedule for %p', (value) => {
    // Prepare
    const input = value;

    // Act
    const schedule = parseSchedule(input);

    // Assess
    expect(schedule).toEqual(DEFAULT_RETRY_SCHEDULE);
  });

  it.each([
    ['letters', 'a,b'],
    ['a bad step among good ones', '1,x,4'],
    ['a negative step', '10,-5'],
    ['Infinity', '10,Infinity'],
    ['seconds with a unit', '10s,60s'],
    // BUG (lambdas/core/settings.ts, parseSchedule): Number('') is 0, so an empty step (a stray comma, a blank
    // value) silently becomes a 0-second retry instead of being refused.
    ['an empty step', '1,,4'],
    ['a trailing comma', '10,60,'],
    ['a blank value', '   '],
  ])('throws on %s (%p) naming RETRY_SCHEDULE_SECONDS', (_label, value) => {
    // Prepare
    const input = value;

    // Act
    const act = () => parseSchedule(input);

    // Assess
    expect(act).toThrow(/RETRY_SCHEDULE_SECONDS/);
  });

  it('throws from readSettings for a bad RETRY_SCHEDULE_SECONDS', () => {
    // Prepare
    const env = { RETRY_SCHEDULE_SECONDS: '1,two,4' };

    // Act
    const act = () => readSettings(env);

    // Assess
    expect(act).toThrow(/RETRY_SCHEDULE_SECONDS/);
  });
});

describe('readSettings required variables', () => {
  it('names the missing variable and who sets it', () => {
    // Prepare
    const env = { TENANTS_TABLE: 'tenants', EVENTS_TABLE: 'events' };

    // Act
    const read = () => readSettings(env, { require: ['TENANTS_TABLE', 'EVENTS_TABLE', 'QUEUE_URL'] });

    // Assess
    expect(read).toThrow(MissingSettingError);
    expect(read).toThrow('QUEUE_URL is not set (the stack sets it)');
  });

  it('treats an empty value as missing, and takes a hint for other callers', () => {
    // Prepare
    const env = { DLQ_URL: '' };

    // Act
    const read = () => readSettings(env, { require: ['DLQ_URL'], hint: 'pass --stack <name>' });

    // Assess
    expect(read).toThrow('DLQ_URL is not set (pass --stack <name>)');
  });

  it('returns the required values as set', () => {
    // Prepare
    const env = { QUEUE_URL: 'https://sqs.example/q', PUBLIC_BASE_URL: 'https://api.example/' };

    // Act
    const settings = readSettings(env, { require: ['QUEUE_URL', 'PUBLIC_BASE_URL'] });

    // Assess
    const queueUrl: string = settings.queueUrl;
    expect(queueUrl).toBe('https://sqs.example/q');
    expect(settings.publicBaseUrl).toBe('https://api.example');
  });
});
