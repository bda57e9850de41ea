// A config file from disk, read as the App reads one from GitHub: refused past the App's size cap without reading
// more than one byte beyond it.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { CONFIG_MAX_BYTES } from "../adapters/github/config-source.js";
import { AgentGateError } from "../core/errors.js";

export function readConfigFile(path: string): string {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(CONFIG_MAX_BYTES + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    if (n > CONFIG_MAX_BYTES)
      throw new AgentGateError("CONFIG_TOO_LARGE", `${path} is ${Math.max(size, n)} bytes; expected at most ${CONFIG_MAX_BYTES} (64 KiB), the App's cap for .github/agent-gate.yml`);
    return buf.subarray(0, n).toString("utf8");
  } finally {
    closeSync(fd);
  }
}
