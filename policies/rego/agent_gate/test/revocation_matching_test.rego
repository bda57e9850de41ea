# Revocation matching (review findings H8): dated model ids, versions with other separators, claims without a
# version, case of signer identities, platform signers by any of their account's logins, subagents' runtimes.
package agent_gate.test.revocation_matching_test

import data.agent_gate.deployment
import data.agent_gate.lib
import data.agent_gate.test.fixtures as fx

hits(a, rev) := m if {
	m := lib.revoked_matches(a) with data.revoked as rev
}

models(entries) := {"models": entries}

sonnet := "anthropic/claude-sonnet-4-5"

test_dated_model_id_is_revoked_by_its_version if {
	count(hits({"model": {"id": "anthropic/claude-sonnet-4-5-20250929", "version": "1"}}, models([{"model": sonnet, "version": "20250929"}]))) == 1
}

test_dated_model_id_is_revoked_by_every_version if {
	count(hits({"model": {"id": "Anthropic/Claude-Sonnet-4-5-20250929", "version": "1"}}, models([{"model": " anthropic/claude-sonnet-4-5 "}]))) == 1
}

test_suffix_after_at_or_colon if {
	count(hits({"models": [{"id": "anthropic/claude-sonnet-4-5@20250929"}]}, models([{"model": sonnet}]))) == 1
	count(hits({"models": [{"id": "anthropic/claude-sonnet-4-5:latest"}]}, models([{"model": sonnet}]))) == 1
}

test_another_model_sharing_a_prefix_is_not_revoked if {
	count(hits({"model": {"id": "anthropic/claude-sonnet-4-50", "version": "1"}}, models([{"model": sonnet}]))) == 0
	count(hits({"model": {"id": "anthropic/claude-sonnet-4", "version": "1"}}, models([{"model": sonnet}]))) == 0
}

test_another_version_is_not_revoked if {
	count(hits({"model": {"id": sonnet, "version": "20250514"}}, models([{"model": sonnet, "version": "20250929"}]))) == 0
	count(hits({"model": {"id": "anthropic/claude-sonnet-4-5-20250514", "version": "20250514"}}, models([{"model": sonnet, "version": "20250929"}]))) == 0
}

test_versions_compare_without_separators if {
	count(hits({"model": {"id": sonnet, "version": "2025-09-29"}}, models([{"model": sonnet, "version": "20250929"}]))) == 1
	count(hits({"model": {"id": sonnet, "version": "2025_09_29"}}, models([{"model": sonnet, "version": "2025.09.29"}]))) == 1
}

test_a_claim_without_version_is_revoked_by_a_version_entry if {
	count(hits({"tier": "signed-commit", "model": {"id": sonnet}}, models([{"model": sonnet, "version": "20250929"}]))) == 1
}

test_agents_match_like_models if {
	rev := {"agents": [{"name": "claude-code", "version": "1.0.3"}]}
	count(hits({"agent": {"name": "Claude-Code", "version": "1-0-3"}}, rev)) == 1
	count(hits({"agent": {"name": "claude-code@1.0.3"}}, rev)) == 1
	count(hits({"agent": {"name": "claude-code"}}, rev)) == 1
	count(hits({"agent": {"name": "claude-code", "version": "1.0.4"}}, rev)) == 0
}

test_a_subagents_runtime_is_revoked if {
	a := {"agent": {"name": "claude-code", "version": "2.0.0"}, "agents": [{"name": "aider", "version": "0.80.0", "role": "subagent"}]}
	count(hits(a, {"agents": [{"name": "aider"}]})) == 1
	count(hits(a, {"agents": [{"name": "aider", "version": "0.79.0"}]})) == 0
}

test_identity_compares_without_case if {
	s := {"type": "certificate", "identity": "alice@example.com", "issuer": "https://accounts.google.com"}
	count(hits({"signer": s}, {"signers": [{"identity": "Alice@Example.com", "issuer": "https://accounts.google.com"}]})) == 1
	count(hits({"signer": s}, {"signers": [{"identity": "Alice@Example.com", "issuer": "https://github.com/login/oauth"}]})) == 0
	count(hits({"signer": s}, {"signers": [{"identity_pattern": "ALICE@.*", "issuer": "https://accounts.google.com"}]})) == 1
}

copilot(login) := {"tier": "platform", "signer": {"type": "platform", "identity": login, "issuer": "https://github.com", "account": {"login": login, "id": 198982749}}}

test_platform_signer_by_either_login if {
	rest := {"signers": [{"identity": "Copilot", "issuer": "https://github.com"}]}
	graphql := {"signers": [{"identity": "copilot-swe-agent[bot]", "issuer": "https://github.com"}]}
	count(hits(copilot("copilot-swe-agent[bot]"), rest)) == 1
	count(hits(copilot("Copilot"), rest)) == 1
	count(hits(copilot("Copilot"), graphql)) == 1
	count(hits(copilot("copilot-swe-agent[bot]"), graphql)) == 1
}

test_platform_signer_of_an_unknown_account_by_login if {
	s := {"tier": "platform", "signer": {"type": "platform", "identity": "acme-agent[bot]", "issuer": "https://github.com", "account": {"login": "acme-agent[bot]", "id": 7}}}
	count(hits(s, {"signers": [{"identity": "ACME-agent[bot]", "issuer": "https://github.com"}]})) == 1
	count(hits(s, {"signers": [{"identity": "Copilot", "issuer": "https://github.com"}]})) == 0
}

deployment_msgs(inp, rev) := {f.msg |
	some f in deployment.decision.deny with input as inp with data.config as fx.deploy_config with data.revoked as rev
	f.rule == "revoked"
}

some_list := {"source": "acme/.github:.github/agent-gate-revocations.yml (default branch)", "models": [{"model": "openai/gpt-5"}]}

test_agent_deployment_with_unknown_pr_evidence_is_denied_under_a_list if {
	inp := object.union(fx.deployment, {"pr_evidence_status": {"state": "unknown", "pull_request": 12}})
	deployment_msgs(inp, some_list) == {"evidence of PR #12 unknown; cannot rule out revoked evidence (acme/.github:.github/agent-gate-revocations.yml (default branch))"}
	count(deployment_msgs(inp, {})) == 0
	count(deployment_msgs(inp, {"source": "s", "models": []})) == 0
	count(deployment_msgs(object.union(inp, {"agent_authored": false}), some_list)) == 0
}

test_agent_deployment_with_incomplete_pr_evidence_is_denied_under_a_list if {
	inp := object.union(object.remove(fx.deployment, ["pr_evidence_status"]), {"pr_evidence_status": {"state": "incomplete"}})
	deployment_msgs(inp, some_list) == {"evidence of the pull request of commit 2222222 incomplete; cannot rule out revoked evidence (acme/.github:.github/agent-gate-revocations.yml (default branch))"}
	count(deployment_msgs(fx.deployment, some_list)) == 0
	count(deployment_msgs(object.remove(fx.deployment, ["pr_evidence_status"]), some_list)) == 1
}

test_entry_without_issuer_and_login_other_than_identity if {
	count(hits({"signer": {"type": "certificate", "identity": "Bob@example.com", "issuer": "x"}}, {"signers": [{"identity": "bob@example.com"}]})) == 1
	s := {"tier": "platform", "signer": {"type": "platform", "identity": "acme-agent", "issuer": "https://github.com", "account": {"login": "acme-agent[bot]", "id": 7}}}
	count(hits(s, {"signers": [{"identity": "acme-agent[bot]"}]})) == 1
}
