/**
 * Summarises a V8 .cpuprofile (BENCH_CPU_PROF=1) by self time: per package (node_modules/<name>,
 * this repository's own code, Node internals, GC) and the top functions.
 *
 *   node dist/bench/profile-summary.js <file.cpuprofile> [top=25]
 */
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function bucket(url: string, fn: string): string {
  if (fn === '(garbage collector)' || fn === '(idle)' || fn === '(program)') return fn;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m?.[1]) return m[1];
  if (url.startsWith('node:') || url === '') return 'node internals';
  return 'ours';
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: profile-summary <file.cpuprofile> [top]');
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  let total = 0;
  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)') continue;
    total += us;
    const pkg = bucket(url, functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
    const key = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    functions.set(key, (functions.get(key) ?? 0) + us);
  }
  const pct = (us: number): string => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
  console.log(`busy ${(total / 1000).toFixed(0)} ms (idle left out)`);
  console.log('by package:');
  for (const [k, v] of [...packages].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${pct(v)}  ${k}`);
  console.log('top functions (self time):');
  for (const [k, v] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 25)))
    console.log(`  ${pct(v)}  ${k}`);
}

main();
