/**
 * Twilio status callbacks against the local server: only a report signed with the tenant's auth token over the
 * exact StatusCallback URL we gave Twilio may move a message record. Forged, unsigned and re-hosted reports get 403
 * and change nothing.
 */
import http from 'node:http';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { FaultHarness, FROM, mobile, TENANT_ID } from '../helpers/fault-harness';

interface Answer {
  status: number;
  body: string;
}

/** POSTs a form to the receiver with node:http, so the Host header can be anything. */
function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'TwilioProxy/1.1',
          ...headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

describe('fault injection: Twilio status callbacks', () => {
  let h: FaultHarness | undefined;

  afterEach(async () => {
    const harness = h;
    h = undefined;
    await FaultHarness.settleAndStop(harness);
  });

  it('accepts a correctly signed report and refuses unsigned, wrongly signed and re-hosted ones', async () => {
    // Prepare
    h = await FaultHarness.start();
    const to = mobile(30);
    const { eventId } = await h.postEvent(h.smsSend(to, 'Delivery report test.'));
    const [event] = await h.waitAllFinal();
    const [accepted] = h.sentTo(to);
    const messageId = String(event!.outcome!.messageId);
    const callbackUrl = `${h.url}/twilio/status/${TENANT_ID}/${encodeURIComponent(messageId)}`;
    const report = (status: string) => ({
      AccountSid: h!.accountSid,
      ApiVersion: '2010-04-01',
      From: FROM,
      MessageSid: accepted!.sid,
      MessageStatus: status,
      SmsSid: accepted!.sid,
      SmsStatus: status,
      To: to,
    });
    const forged = report('failed');
    const port = new URL(h.url).port;
    const otherHost = `receiver.attacker.example:${port}`;
    const otherHostUrl = callbackUrl.replace(new URL(h.url).host, otherHost);

    // Act
    const unsigned = await postForm(callbackUrl, forged);
    const wrongSignature = await postForm(callbackUrl, forged, {
      'X-Twilio-Signature': getExpectedTwilioSignature('0'.repeat(32), callbackUrl, forged),
    });
    const tampered = await postForm(callbackUrl, forged, {
      'X-Twilio-Signature': getExpectedTwilioSignature(h.authToken, callbackUrl, report('delivered')),
    });
    const reHosted = await postForm(callbackUrl, forged, {
      Host: otherHost,
      'X-Twilio-Signature': getExpectedTwilioSignature(h.authToken, otherHostUrl, forged),
    });
    const [recordAfterForgeries] = await h.messages(eventId!);
    const delivered = report('delivered');
    const valid = await postForm(callbackUrl, delivered, {
      'X-Twilio-Signature': getExpectedTwilioSignature(h.authToken, callbackUrl, delivered),
    });
    const [recordAfterValid] = await h.messages(eventId!);

    // Assess
    expect(accepted!.statusCallback).toBe(callbackUrl);
    expect(unsigned.status).toBe(403);
    expect(wrongSignature.status).toBe(403);
    expect(tampered.status).toBe(403);
    expect(reHosted.status).toBe(403);
    expect(recordAfterForgeries).toMatchObject({ status: 'sent', sid: accepted!.sid });
    expect(valid.status).toBe(200);
    expect(recordAfterValid).toMatchObject({ status: 'delivered', sid: accepted!.sid, providerStatus: 'delivered' });
    expect(event).toMatchObject({ status: 'sent' });
    expect(h.sentTo()).toHaveLength(1);
  });
});
