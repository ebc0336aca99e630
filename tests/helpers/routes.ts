/** The live routes of a fastify app, for specs that must cover every route. */

/** Parses `app.printRoutes({commonPrefix: false})` into "METHOD /path" entries (HEAD is implied by GET). */
export function walkRoutes(tree: string): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!m) continue;
    const depth = (m[1] ?? '').length / 4;
    stack.length = depth;
    stack.push(m[2] ?? '');
    for (const method of (m[3] ?? '').split(', ').filter((x) => x && x !== 'HEAD'))
      out.push(`${method} ${stack.join('')}`);
  }
  return out.sort();
}
