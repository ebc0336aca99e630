/**
 * Design docs live as real files under ddocs/<name>/views/<view>/{map.js,reduce}, like CHT's
 * ddocs/ folder. On start each of our views is compared with what the database holds and the
 * design doc is written only when one differs, so restarts do not invalidate built indexes;
 * views we do not define (CHT's, in a shared CouchDB) are kept as they are.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from './db.js';
import { isConflict, isNotFound } from './db.js';
import { projectRoot } from './project-root.js';

interface ViewDef {
  map: string;
  reduce?: string;
}

export interface DesignDoc {
  _id: string;
  _rev?: string;
  views: Record<string, ViewDef>;
}

export function ddocsDir(): string {
  return path.join(projectRoot(), 'shared-libs', 'couch', 'ddocs');
}

export function loadDesignDocs(dir: string = ddocsDir()): DesignDoc[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const viewsDir = path.join(dir, d.name, 'views');
      const views: Record<string, ViewDef> = {};
      for (const view of fs.readdirSync(viewsDir).sort()) {
        const map = fs.readFileSync(path.join(viewsDir, view, 'map.js'), 'utf8').trim();
        const reducePath = path.join(viewsDir, view, 'reduce');
        const def: ViewDef = { map };
        if (fs.existsSync(reducePath)) {
          def.reduce = fs.readFileSync(reducePath, 'utf8').trim();
        }
        views[view] = def;
      }
      return { _id: `_design/${d.name}`, views };
    });
}

/** Installs or updates each design doc whose views differ; returns the ids written. */
export async function installDesignDocs(db: Db, docs: DesignDoc[] = loadDesignDocs()): Promise<string[]> {
  const written: string[] = [];
  for (const ddoc of docs) {
    for (let attempt = 0; attempt < 3; attempt++) {
      let existing: DesignDoc | undefined;
      try {
        existing = (await db.get(ddoc._id)) as unknown as DesignDoc;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      // CHT's own design docs (medic, medic-sms, medic-admin) hold many more views than ours:
      // ours are merged in by name and only compared by name, so CHT's are never removed.
      const current = existing?.views ?? {};
      const ours = Object.keys(ddoc.views);
      if (existing && ours.every((v) => JSON.stringify(current[v]) === JSON.stringify(ddoc.views[v]))) break;
      try {
        await db.put({ ...existing, _id: ddoc._id, views: { ...current, ...ddoc.views } });
        written.push(ddoc._id);
        break;
      } catch (err) {
        // Another instance installed it at the same moment: re-read and compare again.
        if (!isConflict(err)) throw err;
      }
    }
  }
  return written;
}
