/**
 * Fails (exit 1) when the TypeScript sources import each other in a circle. Reads relative
 * `import`/`export … from` specifiers (type-only imports included: a circle of types still ties
 * two rooms together) and reports each strongly connected group of files once.
 * Usage: tsx scripts/check-cycles.ts [dir…]  (default: api shared-libs)
 */
import fs from 'node:fs';
import path from 'node:path';

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['api', 'shared-libs'];
const SPECIFIER = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/g;

function sources(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules') sources(p, out);
    else if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(path.resolve(p));
  }
  return out;
}

const files = roots.flatMap((r) => sources(r));
const known = new Set(files);
const edges = new Map<string, string[]>();
for (const f of files) {
  const text = fs.readFileSync(f, 'utf8');
  const deps = [...text.matchAll(SPECIFIER)]
    .map((m) => path.resolve(path.dirname(f), (m[1] as string).replace(/\.js$/, '.ts')))
    .filter((d) => known.has(d));
  edges.set(f, deps);
}

// Tarjan's strongly connected components.
let index = 0;
const idx = new Map<string, number>();
const low = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
const cycles: string[][] = [];
function visit(v: string): void {
  idx.set(v, index);
  low.set(v, index++);
  stack.push(v);
  onStack.add(v);
  for (const w of edges.get(v) ?? []) {
    if (!idx.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
    } else if (onStack.has(w)) {
      low.set(v, Math.min(low.get(v) as number, idx.get(w) as number));
    }
  }
  if (low.get(v) === idx.get(v)) {
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1 || (edges.get(v) ?? []).includes(v)) cycles.push(group);
  }
}
for (const f of files) if (!idx.has(f)) visit(f);

if (cycles.length) {
  for (const c of cycles) console.error(`import circle: ${c.map((f) => path.relative(process.cwd(), f)).join(' ↔ ')}`);
  process.exit(1);
}
console.log(`no import circles in ${files.length} files (${roots.join(', ')})`);
