// The peer in SafeCity's sync benchmark: the same new hazards, as JSON documents, replicated
// with PouchDB: LevelDB on disk on both sides, express-pouchdb serving HTTP on loopback, batch
// size 1000. Prints one JSON line: push_s, pull_s, idle_sync_ms, client/server peak RSS (MB).
//
//   node bench.js --hazards 100000          (run by bench/run_all.py, which installs it if missing)
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');

if (process.argv[2] === 'serve') {
  // The server half, in a process of its own: express-pouchdb over LevelDB in a folder.
  const express = require('express');
  const PouchDB = require('pouchdb-node');
  const folder = process.argv[4];
  const Local = PouchDB.defaults({ prefix: folder + path.sep });
  const app = express();
  app.use('/', require('express-pouchdb')(Local, { mode: 'minimumForPouchDB', logPath: path.join(folder, 'log.txt') }));
  const server = app.listen(Number(process.argv[3]), '127.0.0.1', () => process.send && process.send('ready'));
  process.on('message', (m) => {
    if (m === 'rss') process.send({ rss: peak() });
    if (m === 'stop') server.close(() => process.exit(0));
  });
} else {
  main().catch((err) => { console.error(err); process.exit(1); });
}

let peakRss = 0;
function peak() { peakRss = Math.max(peakRss, process.memoryUsage().rss); return peakRss / 2 ** 20; }
setInterval(peak, 50).unref();

function uuid7() {
  const b = crypto.randomBytes(16);
  const ms = BigInt(Date.now());
  for (let i = 0; i < 6; i++) b[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  b[6] = (b[6] & 0x0f) | 0x70; b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

async function freePort() {
  const net = require('net');
  return new Promise((resolve) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });
}

async function main() {
  const hazards = Number(process.argv[process.argv.indexOf('--hazards') + 1] || 10000);
  const PouchDB = require('pouchdb-node');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'safecity-pouch-'));
  const port = await freePort();
  const server = spawn(process.execPath, [__filename, 'serve', String(port), fs.mkdtempSync(path.join(work, 'server-'))],
                       { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  await new Promise((resolve) => server.once('message', resolve));
  const remoteUrl = `http://127.0.0.1:${port}/hazards`;
  try {
    const a = new PouchDB(path.join(work, 'laptop-a'));
    const docs = [];
    for (let n = 0; n < hazards; n++) {
      docs.push({ _id: uuid7(), unit_id: 'unit-' + (n % 168), area: 'xinhe', location: '北门',
                  description: `消防通道堵塞 fire lane blocked ${n}`, found_at: '2026-11-29T08:00:00Z',
                  grade: 'general', status: 'reported', responsibility_snapshot: '[]' });
    }
    for (let i = 0; i < docs.length; i += 5000) await a.bulkDocs(docs.slice(i, i + 5000));
    const remote = new PouchDB(remoteUrl);
    let t = process.hrtime.bigint();
    await a.replicate.to(remote, { batch_size: 1000 });
    const pushS = Number(process.hrtime.bigint() - t) / 1e9;
    const b = new PouchDB(path.join(work, 'laptop-b'));
    t = process.hrtime.bigint();
    await b.replicate.from(remote, { batch_size: 1000 });
    const pullS = Number(process.hrtime.bigint() - t) / 1e9;
    const info = await b.info();
    if (info.doc_count !== hazards) throw new Error(`invariant failed: ${info.doc_count} of ${hazards} documents arrived`);
    const idle = [];
    for (let i = 0; i < 20; i++) {
      t = process.hrtime.bigint();
      await PouchDB.sync(b, remote, { batch_size: 1000 });
      idle.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    idle.sort((x, y) => x - y);
    server.send('rss');
    const serverRss = await new Promise((resolve) => server.once('message', (m) => resolve(m.rss)));
    console.log(JSON.stringify({ hazards, push_s: pushS, pull_s: pullS, idle_sync_ms: idle[10],
                                 client_mb: peak(), server_mb: serverRss }));
    await a.close(); await b.close();
  } finally {
    server.send('stop');
    fs.rmSync(work, { recursive: true, force: true });
  }
}
