// The agent-gate command: dispatches to one module per subcommand; returns the process exit code.
const USAGE = `usage: agent-gate <command> [options]

commands:
  demo            run the App in-process on the recorded scenarios and print each check run
  evaluate        evaluate a pull request (live with a token, or a recorded scenario) and print its check run
  attest          sign an agent's provenance for its commits (key or keyless) and write or publish the bundle
  verify-bundle   verify a Sigstore bundle (sigstore-conformance client protocol)
  policy eval     evaluate a policy input with the built-in or a given policy bundle
  audit           verify, show, export and replay the decision audit log
  help            show this message`;

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  help: () => Promise.resolve(() => Promise.resolve((console.log(USAGE), 0))),
  demo: async () => (await import("./demo.js")).demo,
  evaluate: async () => (await import("./evaluate.js")).evaluateCommand,
  attest: async () => (await import("./attest.js")).attestCommand,
  "verify-bundle": async () => (await import("./verify-bundle.js")).verifyBundleCommand,
  policy: async () => (await import("./policy-eval.js")).policyCommand,
  audit: async () => (await import("./audit.js")).auditCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h") {
    console.log(USAGE);
    return name === undefined ? 2 : 0;
  }
  const load = commands[name];
  if (!load) {
    console.error(`agent-gate: unknown command "${name}"; expected one of: ${Object.keys(commands).join(", ")}`);
    return 2;
  }
  const run = await load();
  return run(rest);
}
