/**
 * `npm start` bounds the server's memory (package.json's start script), and the bench starts its
 * server child with the same defaults (bench/child.ts), so the README's figures are those of the
 * server as a user starts it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { START_DEFAULTS } from '../../bench/child.js';
import { projectRoot } from '../../shared-libs/couch/project-root.js';

describe('npm start and the bench start the server alike', function () {
  const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const start = pkg.scripts.start ?? '';

  it(`bounds the V8 old space at ${START_DEFAULTS.maxHeapMb} MB unless MAX_HEAP_MB says otherwise`, function () {
    expect(start).to.include(`--max-old-space-size=\${MAX_HEAP_MB:-${START_DEFAULTS.maxHeapMb}}`);
  });

  it(`uses ${START_DEFAULTS.mallocArenaMax} malloc arenas unless MALLOC_ARENA_MAX says otherwise`, function () {
    expect(start).to.include(`MALLOC_ARENA_MAX=\${MALLOC_ARENA_MAX:-${START_DEFAULTS.mallocArenaMax}}`);
  });

  it('runs the built server', function () {
    expect(start).to.match(/exec node .* dist\/api\/src\/main\.js$/);
  });
});
