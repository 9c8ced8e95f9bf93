import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { TwilioSignatureVerifier } from '../../lambdas/adapters/twilio-signature-verifier';

const AUTH_TOKEN = '12345678901234567890123456789012';
const URL = 'https://hooks.example.org/twilio/status/tenant-1/msg-42?v=1';
const PARAMS = {
  AccountSid: `AC${'a1'.repeat(16)}`,
  MessageSid: `SM${'b2'.repeat(16)}`,
  MessageStatus: 'delivered',
  To: '+254712345678',
  ApiVersion: '2010-04-01',
};

describe('TwilioSignatureVerifier', () => {
  const verifier = new TwilioSignatureVerifier();

  it('accepts the signature Twilio computes for the URL and params', () => {
    // Prepare
    const signature = getExpectedTwilioSignature(AUTH_TOKEN, URL, PARAMS);

    // Act
    const valid = verifier.verifyTwilio(AUTH_TOKEN, signature, URL, PARAMS);

    // Assess
    expect(valid).toBe(true);
  });

  it('accepts it when the configured URL carries the default port', () => {
    // Prepare
    const signature = getExpectedTwilioSignature(AUTH_TOKEN, URL, PARAMS);
    const withPort = URL.replace('hooks.example.org', 'hooks.example.org:443');

    // Act
    const valid = verifier.verifyTwilio(AUTH_TOKEN, signature, withPort, PARAMS);

    // Assess
    expect(valid).toBe(true);
  });

  it.each([
    ['another token', { token: 'ffffffffffffffffffffffffffffffff' }],
    ['another URL', { url: 'https://hooks.example.org/twilio/status/tenant-2/msg-42?v=1' }],
    ['a changed param', { params: { ...PARAMS, MessageStatus: 'failed' } }],
    ['an extra param', { params: { ...PARAMS, ErrorCode: '30003' } }],
  ])('rejects %s', (_label, change: { token?: string; url?: string; params?: Record<string, string> }) => {
    // Prepare
    const signature = getExpectedTwilioSignature(AUTH_TOKEN, URL, PARAMS);

    // Act
    const valid = verifier.verifyTwilio(
      change.token ?? AUTH_TOKEN,
      signature,
      change.url ?? URL,
      change.params ?? PARAMS,
    );

    // Assess
    expect(valid).toBe(false);
  });

  it.each([
    ['an empty signature', '', URL],
    ['a garbage signature', 'not-a-signature', URL],
    ['a malformed URL', 'c2lnbmF0dXJl', 'not a url'],
  ])('rejects %s without throwing', (_label, signature, url) => {
    // Prepare
    const params = PARAMS;

    // Act
    const valid = verifier.verifyTwilio(AUTH_TOKEN, signature, url, params);

    // Assess
    expect(valid).toBe(false);
  });
});
