import { createRequire } from 'node:module';
await import(process.argv[2]);
const require = createRequire(import.meta.url);
const mods = Object.keys(require.cache);
const pk = new Map<string, number>();
for (const m of mods) { const i = m.lastIndexOf('node_modules/'); if (i<0) continue; const rest = m.slice(i+13).split('/'); const name = rest[0].startsWith('@') ? rest[0]+'/'+rest[1] : rest[0]; pk.set(name, (pk.get(name)??0)+1); }
console.log([...pk.entries()].sort((a,b)=>b[1]-a[1]).map(([k,v])=>`${k}:${v}`).join(' '));
