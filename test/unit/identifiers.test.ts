import { isMessagingServiceSid, isTenantId, isTwilioAccountSid } from '../../lambdas/core/identifiers';

describe('isTenantId', () => {
  it.each(['default', 'tenant_1', 'a-b', 'A'.repeat(64)])('accepts %p', (value) => {
    // Prepare
    const input = value;

    // Act
    const accepted = isTenantId(input);

    // Assess
    expect(accepted).toBe(true);
  });

  it.each(['', 'a b', 'a/b', '../etc', 'A'.repeat(65), 'tenant\n'])('refuses %p', (value) => {
    // Prepare
    const input = value;

    // Act
    const accepted = isTenantId(input);

    // Assess
    expect(accepted).toBe(false);
  });
});

describe('Twilio SIDs', () => {
  const hex32 = '0123456789abcdef0123456789ABCDEF';

  it('tells an Account SID from a Messaging Service SID', () => {
    // Prepare
    const account = `AC${hex32}`;
    const service = `MG${hex32}`;

    // Act
    const verdicts = [
      isTwilioAccountSid(account),
      isTwilioAccountSid(service),
      isMessagingServiceSid(service),
      isMessagingServiceSid(account),
    ];

    // Assess
    expect(verdicts).toEqual([true, false, true, false]);
  });

  it.each([`AC${hex32}0`, `AC${hex32.slice(1)}`, `AC${hex32.slice(1)}g`, `SK${hex32}`])('refuses %p', (value) => {
    // Prepare
    const input = value;

    // Act
    const accepted = isTwilioAccountSid(input);

    // Assess
    expect(accepted).toBe(false);
  });
});
