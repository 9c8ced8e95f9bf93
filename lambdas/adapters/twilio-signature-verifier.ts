/**
 * X-Twilio-Signature check with Twilio's own implementation (HMAC-SHA1 over URL + sorted params, constant-time
 * compare, with/without port and legacy query-string variants). Imports only the webhooks module (~3.5 KB bundled),
 * not the SDK.
 */
import { validateRequest } from 'twilio/lib/webhooks/webhooks';
import type { SignatureVerifier } from '../core/ports';

export class TwilioSignatureVerifier implements SignatureVerifier {
  verifyTwilio(authToken: string, signature: string, url: string, params: Record<string, string>): boolean {
    if (!authToken || !signature || !url) return false;
    try {
      return validateRequest(authToken, signature, url, params ?? {});
    } catch {
      // validateRequest parses the URL; a malformed one is simply not a valid signature.
      return false;
    }
  }
}
