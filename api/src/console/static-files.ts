/**
 * The console's browser files, served from api/src/console/public (resolved from the project
 * root, so `npm start` from dist/ serves the same files without a copy step). Only flat file
 * names with a known extension are served: no path can leave the folder.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../../../shared-libs/couch/index.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

const SAFE_NAME = /^[a-z0-9][a-z0-9-]*\.[a-z]+$/;

export interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

export class ConsoleFiles {
  private readonly cache = new Map<string, Promise<StaticFile | undefined>>();

  constructor(readonly dir: string = path.join(projectRoot(), 'api', 'src', 'console', 'public')) {}

  /** The file, or undefined when the name is not one we serve. Read once, then kept. */
  get(name: string): Promise<StaticFile | undefined> {
    const type = TYPES[path.extname(name)];
    if (!SAFE_NAME.test(name) || !type) return Promise.resolve(undefined);
    let hit = this.cache.get(name);
    if (!hit) {
      hit = fs.readFile(path.join(this.dir, name)).then(
        (body) => ({
          body,
          type,
          etag: `"${crypto
            .createHash('sha256')
            .update(new Uint8Array(body.buffer, body.byteOffset, body.byteLength))
            .digest('base64url')
            .slice(0, 22)}"`,
        }),
        (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return undefined;
          throw err;
        },
      );
      this.cache.set(name, hit);
      // A failed read is not kept, so a transient error is retried on the next request.
      hit.catch(() => this.cache.delete(name));
    }
    return hit;
  }
}
