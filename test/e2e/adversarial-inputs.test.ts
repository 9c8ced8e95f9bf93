/**
 * The attacker probe of issue 9 against the local server over HTTP: every hostile request gets its 4xx (or is
 * stored as it should be), none a 5xx, and a ping sent alongside them is answered.
 */
import { type Delivery, loadDelivery, withKey } from '../helpers/fixtures';
import { send, startTestReceiver, type TestReceiver } from '../helpers/receiver';

let receiver: TestReceiver;
let key: string;

beforeAll(async () => {
  receiver = await startTestReceiver();
  const registered = await send(receiver.url, loadDelivery('mifosx-sms-registration'));
  key = registered.body as string;
});

afterAll(async () => {
  await receiver.stop();
});

const THREE_KB = 'T'.repeat(3 * 1024);

function smsEvent(body?: string, headers: Record<string, string> = {}): Delivery {
  const delivery = withKey(loadDelivery('mifosx-sms-loan-repayment'), key);
  return { ...delivery, headers: { ...delivery.headers, ...headers }, body: body ?? delivery.body };
}

/** A ~1 MB Web hook form whose `changes` is a Java map nested 8 000 deep (the request that froze the server). */
function deepFormEvent(): Delivery {
  const deep = `${'{request='.repeat(8_000)}x${'}'.repeat(8_000)}`;
  const bodyWith = (padding: string) =>
    `resourceId=118.0&clientId=42.0&loanId=7.0&changes=${encodeURIComponent(`{note=${padding}, request=${deep}}`)}`;
  const delivery = loadDelivery('mifosx-web-form-loan-repayment');
  return { ...delivery, path: `/hooks/${key}/`, body: bodyWith('n'.repeat(1_000_000 - bodyWith('').length)) };
}

test('hostile requests each get their answer, no 5xx, while a ping is answered', async () => {
  // Prepare
  const requests: Array<[string, Delivery, number]> = [
    ['deep Java map form', deepFormEvent(), 200],
    ['JSON nested 10 000 deep', smsEvent(`{"clientId":${'['.repeat(10_000)}${']'.repeat(10_000)}}`), 400],
    ['JSON id 2^53 + 1', smsEvent('{"officeId":1,"clientId":9007199254740993,"loanId":7}'), 200],
    ['3 KB tenant id header', smsEvent(undefined, { 'X-Mifos-Platform-TenantId': THREE_KB }), 400],
    ['Latin-1 tenant id header', smsEvent(undefined, { 'X-Mifos-Platform-TenantId': 'd\u00e9fault' }), 400],
    ['3 KB entity header', smsEvent(undefined, { 'X-Mifos-Entity': THREE_KB }), 400],
    [
      '3 KB tenant id in an admin path',
      { ...smsEvent(), method: 'GET', path: `/modules/sms/events/${THREE_KB}`, body: '' },
      400,
    ],
  ];
  const ping = { method: 'GET', path: '/modules/sms/', headers: {}, body: '' };

  // Act
  const [pong, ...results] = await Promise.all([
    send(receiver.url, ping),
    ...requests.map(([, delivery]) => send(receiver.url, delivery)),
  ]);

  // Assess
  expect(pong?.status).toBe(200);
  expect(requests.map(([label], i) => [label, results[i]?.status])).toEqual(
    requests.map(([label, , status]) => [label, status]),
  );
  expect(receiver.logger.lines.filter((line) => line.includes('"message":"request failed"'))).toEqual([]);
});
