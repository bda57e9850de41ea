# Generated from DEFAULT_AGENT_ACCOUNTS in src/core/agents.ts by `npm run docs:gen`; do not edit by hand.
# The known agent accounts' ids by lower-case login: a revoked platform signer is named by any login GitHub uses
# for its account (REST `Copilot`, GraphQL `copilot-swe-agent[bot]`), revocation_lib.rego.
package agent_gate.lib

known_agent_account_ids := {
	"amazon-q-developer[bot]": 208079219,
	"chatgpt-codex-connector[bot]": 199175422,
	"claude[bot]": 209825114,
	"copilot": 198982749,
	"copilot-swe-agent[bot]": 198982749,
	"cursor[bot]": 206951365,
	"devin-ai-integration[bot]": 158243242,
	"google-labs-jules[bot]": 161369871,
	"sweep-ai[bot]": 128439645,
}
