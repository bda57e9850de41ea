// `npm run bench`: every benchmark of the project, each printing its own table. Run one with
// `npm run bench -- verify` (names: verify, policy, gate, audit, impact, hostile, cli, load, capacity).
import { printTable, type Row } from "./table.js";

type Bench = () => Promise<Row[] | void>;
const benches: Record<string, { title: string; load: () => Promise<Bench> }> = {
  verify: { title: "Sigstore verification", load: async () => (await import("./verify.js")).benchVerify },
  policy: { title: "Policy evaluation", load: async () => (await import("./policy.js")).benchPolicy },
  gate: { title: "PR gate", load: async () => (await import("./gate.js")).benchGate },
  audit: { title: "Audit log", load: async () => (await import("./audit.js")).benchAudit },
  impact: { title: "Config-change impact from the audit log", load: async () => (await import("./impact.js")).benchImpact },
  hostile: { title: "Hostile input: bounded work for every byte an outsider controls", load: async () => (await import("./hostile.js")).benchHostile },
  cli: { title: "The command line as a whole process: verify-bundle against cosign verify-blob", load: async () => (await import("./cli.js")).benchCli },
  load: { title: "Load run: App processes on PostgreSQL and Redis (delivery to recorded evaluation)", load: async () => (await import("./load.js")).benchLoad },
  capacity: { title: "Capacity for an organisation, extrapolated from the load run's measured figures", load: async () => (await import("./load-capacity.js")).benchCapacity },
};

const only = process.argv.slice(2);
for (const [name, b] of Object.entries(benches)) {
  if (only.length > 0 && !only.includes(name)) continue;
  console.log(`\n=== ${b.title} (${name})`);
  const rows = await (await b.load())();
  if (Array.isArray(rows)) printTable(b.title, rows);
}
