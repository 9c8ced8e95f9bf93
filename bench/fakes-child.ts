/**
 * The fake Twilio and fake Fineract of the tests (test/helpers), in a process of their own so that neither the
 * load generator nor the server under test pays for them.
 */
import { FakeFineract } from '../test/helpers/fake-fineract';
import { FakeTwilio } from '../test/helpers/fake-twilio';
import { ACCOUNT_SID, AUTH_TOKEN, MOBILE_NO, TENANT_ID } from './events';
import { serveRpc } from './ipc';

export interface FakesInfo {
  twilioBaseUrl: string;
  fineractApiBase: string;
  fineractToken: string;
}

export interface FakesStats {
  twilioSends: number;
  twilioMessages: number;
  fineractRequests: number;
}

const twilio = new FakeTwilio();
let fineract: FakeFineract | undefined;
let fineractSeen = 0;

serveRpc({
  async start(): Promise<FakesInfo> {
    const { baseUrl } = await twilio.start();
    twilio.addAccount(ACCOUNT_SID, AUTH_TOKEN, 'Bench account');
    fineract = await FakeFineract.start({ tenants: [TENANT_ID] });
    return { twilioBaseUrl: baseUrl, fineractApiBase: fineract.apiBase, fineractToken: fineract.token };
  },
  /** Clients `idBase + seq` named `{prefix}{seq}`, for the MifosX events whose SMS needs the callback. */
  seedClients(args) {
    const { idBase, count, prefix } = args as { idBase: number; count: number; prefix: string };
    for (let seq = 0; seq < count; seq++) {
      fineract!.addClient({ id: idBase + seq, displayName: `${prefix}${seq}`, mobileNo: MOBILE_NO });
    }
    return count;
  },
  /** Both fakes answer everything `ms` late (0: at once). */
  delay(args) {
    const { ms } = args as { ms: number };
    twilio.delay(ms);
    fineract!.delay(ms);
    return ms;
  },
  /** Forgets messages and requests (the account stays) and stops delaying. */
  reset() {
    twilio.reset();
    fineract!.delay(0);
    fineractSeen = fineract!.requests.length;
    return true;
  },
  stats(): FakesStats {
    return {
      twilioSends: twilio.requests.filter((r) => r.route === 'send').length,
      twilioMessages: twilio.messages.length,
      fineractRequests: fineract!.requests.length - fineractSeen,
    };
  },
  /** Messages accepted since the last reset, from index `from`: text and acceptance time (epoch ms). */
  messages(args) {
    const { from } = (args ?? { from: 0 }) as { from: number };
    return twilio.messages.slice(from).map((m) => ({ body: m.body, at: m.at.getTime() }));
  },
  async stop() {
    await twilio.stop();
    await fineract?.stop();
    return true;
  },
});
