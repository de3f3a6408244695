// Runs a Python script on MicroPython 1.27 (WebAssembly port, under node).
//
//   node run_mp.mjs --mount HOSTDIR:/mpdir [--mount ...] SCRIPT.py
//
// Each mounted host directory is copied into the port's in-memory file
// system; "/" is put on sys.path so `import protocols` finds /protocols.
// Exit status: 0 when the script ran to its end, 1 on a Python exception.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const mpDir = process.env.MP_DIR || path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../.mp");
const pkg = path.join(mpDir, "node_modules/@micropython/micropython-webassembly-pyscript/micropython.mjs");
const { loadMicroPython } = await import(pkg);

const args = process.argv.slice(2);
const mounts = [];
let script = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--mount") mounts.push(args[++i]);
  else script = args[i];
}
if (!script) { console.error("usage: run_mp.mjs --mount HOST:/dir SCRIPT.py"); process.exit(2); }

let out = "";
const mp = await loadMicroPython({
  heapsize: 256 * 1024 * 1024,
  stdout: (d) => process.stdout.write(d),
  stderr: (d) => process.stderr.write(d),
  linebuffer: false,
});

function copyIn(host, target) {
  const st = fs.statSync(host);
  if (st.isDirectory()) {
    try { mp.FS.mkdir(target); } catch (e) { /* exists */ }
    for (const name of fs.readdirSync(host)) {
      if (name === "__pycache__" || name.startsWith(".")) continue;
      copyIn(path.join(host, name), target + "/" + name);
    }
  } else {
    mp.FS.writeFile(target, fs.readFileSync(host));
  }
}
for (const m of mounts) {
  const idx = m.lastIndexOf(":");
  const host = m.slice(0, idx), target = m.slice(idx + 1);
  const parts = target.split("/").filter(Boolean);
  let p = "";
  for (const part of parts.slice(0, -1)) { p += "/" + part; try { mp.FS.mkdir(p); } catch (e) {} }
  copyIn(host, target);
}
const code = fs.readFileSync(script, "utf8");
try {
  mp.runPython("import sys\nsys.path.insert(0, '/')\n");
  mp.runPython(code);
} catch (e) {
  console.error(String(e && e.message ? e.message : e));
  process.exit(1);
}
