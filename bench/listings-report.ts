/**
 * The listings benchmark's rows in the bench table. Targets: each listing's first page after the
 * burst < 200 ms on the embedded store and within 3× that (600 ms) on pouchdb-server; a
 * medic-gateway poll < 100 ms (300 ms on pouchdb-server); server RSS < 200 MB throughout.
 */
import type { ListingsResult } from './listings.js';
import { mb } from './load.js';
import { fmt, yesNo, type Row } from './table.js';

const LISTING_MS = 200;
const POLL_MS = 100;
const RSS_MB = 200;

export function listingsRows(results: ListingsResult[]): Row[] {
  const rows: Row[] = [];
  for (const r of results) {
    const couch = r.store.startsWith('pouchdb');
    const factor = couch ? 3 : 1;
    const scen = `5 listings, store ${fmt(r.storeSize)}`;
    rows.push([
      scen,
      r.store,
      `fill (direct bulkDocs) s / first start: index built over the store s`,
      `${fmt(r.fillMs / 1000, 1)} / ${fmt(r.buildMs / 1000, 1)}`,
      'info',
      '-',
      '-',
    ]);
    rows.push([
      scen,
      r.store,
      `burst of ${fmt(r.burst)} writes (40% POST, 40% incoming, 20% DLR) s; non-200`,
      `${fmt(r.burstMs / 1000, 1)}; ${r.burstErrors}`,
      '0 non-200',
      yesNo(r.burstErrors === 0),
      '-',
    ]);
    // The embedded index follows the writes as they are made; only its checkpoint trails them.
    if (!r.store.startsWith('embedded'))
      rows.push([
        scen,
        r.store,
        'changes the index had yet to read when the burst ended',
        fmt(r.behind),
        'info',
        '-',
        '-',
      ]);
    for (const c of r.calls) {
      const poll = c.name.startsWith('medic-gateway');
      const target = (poll ? POLL_MS : LISTING_MS) * factor;
      rows.push([
        scen,
        r.store,
        `${c.name}: ms (items)`,
        `${fmt(c.ms, 1)} (${c.items})`,
        `< ${target}`,
        yesNo(c.status === 200 && c.ms < target),
        '-',
      ]);
    }
    const peak = mb(r.peakRssBytes);
    rows.push([
      scen,
      r.store,
      'server peak RSS MB: whole run / during the first build',
      `${fmt(peak)} / ${fmt(mb(r.buildPeakRssBytes))}`,
      couch ? 'info' : `< ${RSS_MB}`,
      couch ? '-' : yesNo(peak < RSS_MB),
      '-',
    ]);
    if (r.peakAnonBytes !== undefined)
      rows.push([
        scen,
        r.store,
        'peak anonymous RSS MB (RSS less file-backed pages: the node binary, LevelDB table files)',
        fmt(mb(r.peakAnonBytes)),
        'info',
        '-',
        '-',
      ]);
  }
  return rows;
}
