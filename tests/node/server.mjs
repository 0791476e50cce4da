// Starts `errand serve` for the Node test scripts (browser, MCP) on a free
// port over a scratch copy of the built index, and resolves once /readyz is
// 200 with { base, child, data }. `stop` ends it and then removes the copy.
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

export async function startServer(root, bin, tag, log = "warn,qdrant_edge=error") {
  const data = mkdtempSync(join(tmpdir(), `errand-${tag}-`));
  cpSync(join(root, "data/index"), join(data, "index"), { recursive: true });
  const child = spawn(bin, ["serve", "--addr", "127.0.0.1:0", "--data", data, "--test-helpers", "true"], {
    cwd: root,
    env: { ...process.env, ERRAND_LOG: log },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const first = await new Promise((ok, fail) => {
    child.once("exit", (code) => fail(new Error(`errand serve exited with ${code}`)));
    createInterface({ input: child.stdout }).once("line", ok);
  });
  const base = first.replace("errand listening on ", "").trim();
  for (let i = 0; i < 600; i++) {
    const r = await fetch(base + "/readyz").catch(() => null);
    if (r && r.ok) return { base, child, data };
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("the server did not become ready in 120 s");
}

/// The data folder goes once the server has let go of it.
export async function stop({ child, data }) {
  const exited = new Promise((ok) => child.once("exit", ok));
  child.kill("SIGTERM");
  await exited;
  rmSync(data, { recursive: true, force: true });
}
