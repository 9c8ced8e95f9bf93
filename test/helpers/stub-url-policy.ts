import type { UrlPolicy } from '../../lambdas/core/ports';

/**
 * The one UrlPolicy stub: accepts every URL and records it, or, after `refuse`, throws what DnsUrlPolicy would
 * (a UrlNotAllowedError for a refused or unresolvable host, a DownstreamError when DNS is down). No DNS involved.
 */
export class StubUrlPolicy implements UrlPolicy {
  readonly checked: string[] = [];
  private refusal?: Error;

  refuse(error: Error | undefined): void {
    this.refusal = error;
  }

  async check(url: string): Promise<void> {
    this.checked.push(url);
    if (this.refusal) throw this.refusal;
  }
}
