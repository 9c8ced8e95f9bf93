/**
 * Summarises a V8 CPU profile (`node --cpu-prof`): the share of samples by where the code lives (our modules,
 * each npm package, node internals, GC, idle) and the functions with the most self and inclusive time.
 * `tsx bench/profile-summary.ts file.cpuprofile [top]`; `npm run bench:profile` writes and summarises one.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileRow {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Samples not idle, (program) or GC. */
  busyMs: number;
  byPlace: ProfileRow[];
  topSelf: ProfileRow[];
  topInclusive: ProfileRow[];
}

/** Where a script lives: `lambdas/core`, an npm package, `node:internal`, or V8's own buckets. */
export function placeOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return `(${functionName.replace(/^\(|\)$/g, '') || 'native'})`;
  const at = url.lastIndexOf('node_modules/');
  if (at >= 0) {
    const [scope = '', name = ''] = url.slice(at + 'node_modules/'.length).split('/');
    return scope.startsWith('@') ? `${scope}/${name}` : scope;
  }
  if (url.startsWith('node:')) return 'node:internal';
  const local = /\/(lambdas\/[^/]+|bench|test\/[^/]+|bin)\//.exec(url);
  return local ? local[1]! : url;
}

const label = (f: CallFrame) => {
  const file = f.url ? f.url.replace(/^.*node_modules\//, '').replace(/^.*\/(lambdas|bench|test|bin)\//, '$1/') : '';
  return `${f.functionName || '(anonymous)'} ${file}${file ? `:${f.lineNumber + 1}` : ''}`;
};

export function summarise(profile: CpuProfile, top = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  for (const [i, id] of profile.samples.entries()) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));

  const place = new Map<string, number>();
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    total += us;
    const p = placeOf(node.callFrame);
    if (p === '(idle)' || p === '(program)' || p === '(garbage collector)')
      idle += p === '(garbage collector)' ? 0 : us;
    place.set(p, (place.get(p) ?? 0) + us);
    const l = label(node.callFrame);
    self.set(l, (self.get(l) ?? 0) + us);
    // Inclusive: every distinct function on the stack gets the sample once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (!f.url) continue;
      const key = label(f);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  const busy = total - idle;
  const rows = (m: Map<string, number>, n: number, base: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, share: Math.round((us / base) * 1000) / 10 }));
  return {
    totalMs: Math.round(total / 1000),
    busyMs: Math.round(busy / 1000),
    byPlace: rows(place, top, busy),
    topSelf: rows(self, top, busy),
    topInclusive: rows(inclusive, top, busy),
  };
}

export function renderSummary(s: ProfileSummary): string {
  const table = (title: string, rows: ProfileRow[]) =>
    [
      `${title}`,
      ...rows.map((r) => `  ${String(r.share).padStart(5)} %  ${String(r.ms).padStart(8)} ms  ${r.name}`),
    ].join('\n');
  return [
    `profile: ${s.totalMs} ms sampled, ${s.busyMs} ms busy (shares below are of busy time; idle and (program) excluded)`,
    table('by place (self time)', s.byPlace),
    table('top functions, self time', s.topSelf),
    table('top functions, inclusive time', s.topInclusive),
  ].join('\n\n');
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) throw new Error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  process.stdout.write(`${renderSummary(summarise(profile, Number(top) || 15))}\n`);
}
