const base = process.memoryUsage();
const t0 = Date.now();
const what = process.argv[2];
await import(what);
global.gc?.();
const m = process.memoryUsage();
console.log(what, 'rss', (base.rss/2**20).toFixed(0), '->', (m.rss/2**20).toFixed(0), 'heapUsed', (m.heapUsed/2**20).toFixed(0), 'ext', (m.external/2**20).toFixed(0), Date.now()-t0, 'ms');
