/**
 * Where alert deliveries may go: the SSRF guard of the HTTP tools (tools/http/ssrf.ts) applied to
 * webhook and Slack URLs. A receiver must be public (every address its name resolves to), unless
 * its host is in `alerts.allow_hosts` (internal receivers such as an Alertmanager). Checked when a
 * channel is created or changed, and again at each delivery, since DNS answers can change.
 */
import type { Dispatcher } from 'undici';
import { badRequest } from '../errors.js';
import { checkTarget, findRefusal, hostAllowed, parseHostPattern, resolveChecked, sharedSafeAgent, type HostPattern } from '../tools/http/ssrf.js';

const ANY_HOST: HostPattern[] = [{ host: '*', wildcard: true, port: null }];

export class ReceiverGuard {
  private readonly allowed: HostPattern[];

  /** `allowHosts`: host patterns (`alertmanager.internal:9093`, `*.corp.example`) that may be private. */
  constructor(allowHosts: readonly string[] = []) {
    this.allowed = allowHosts.map(parseHostPattern);
  }

  private internal(url: URL): boolean {
    return hostAllowed(url, this.allowed);
  }

  /** Throws RefusedError when the URL may not receive deliveries (resolving its name when it is not allow-listed). */
  async check(rawUrl: string): Promise<void> {
    const url = new URL(rawUrl);
    const internal = this.internal(url);
    checkTarget(url, ANY_HOST, internal);
    if (!internal) await resolveChecked(url.hostname, false).catch((err) => {
      const refusal = findRefusal(err);
      if (refusal) throw refusal; // a name that does not resolve (yet) is the delivery's problem, not a refusal
    });
  }

  /** The same check for an API call: a 400 that names the field and how to allow an internal receiver. */
  async checkForApi(rawUrl: string, param: string): Promise<void> {
    try {
      await this.check(rawUrl);
    } catch (err) {
      const refusal = findRefusal(err);
      if (!refusal) throw err;
      throw badRequest(
        `${param} ${refusal.message.replace(/ \(allow_private: true lifts this\)$/, '')}; to deliver to an internal receiver, add its host (e.g. "${new URL(rawUrl).host}") to alerts.allow_hosts in the config file`,
        param,
        'receiver_refused',
      );
    }
  }

  /** The connection pool for a delivery: allow-listed hosts may be private; every other connection is checked at connect time. */
  dispatcher(rawUrl: string): Dispatcher {
    return sharedSafeAgent(this.internal(new URL(rawUrl)));
  }
}
