# Evidence tiers: which kinds of evidence cover an agent's commits (rules.provenance_coverage.tiers), and what a
# platform-tier commit leaves unattested.
package agent_gate.tiers_test

import data.agent_gate.pull_request
import data.agent_gate.test.fixtures as fx

decide(inp, cfg) := d if {
	d := pull_request.decision with input as inp with data.config as cfg
}

denied(inp, cfg) := fx.rules_of(decide(inp, cfg).deny)

msgs(inp, cfg, rule) := {f.msg | some f in decide(inp, cfg).deny; f.rule == rule}

gitsign := {
	"tier": "signed-commit",
	"signer": fx.signer,
	"agent": {"name": "claude-code"},
	"model": fx.provenance.model,
	"prompt": fx.provenance.prompt,
	"rekor_log_index": "7",
	"integrated_time": "2026-11-26T06:12:00Z",
}

copilot := {"login": "Copilot", "id": 198982749}

platform := {"tier": "platform", "signer": {"type": "platform", "identity": "Copilot", "issuer": "https://github.com", "account": copilot, "agent": "copilot", "extensions": {}}}

sigstore := object.union(object.remove(fx.provenance, ["status"]), {"tier": "sigstore"})

attested(sha, agent, atts) := object.union(object.remove(fx.agent_commit(sha), ["provenance"]), {"agent": agent, "attestations": atts, "provenance": {"status": "attested"}})

by_copilot(c) := object.union(c, {"author": {"login": "Copilot", "id": 198982749, "email": "198982749+Copilot@users.noreply.github.com", "name": "Copilot"}})

pr_of(commits) := object.union(fx.pr, {"commits": commits})

gitsign_pr := pr_of([attested(fx.first, "claude-code", [gitsign]), attested(fx.head, "claude-code", [gitsign])])

copilot_pr := object.union(pr_of([by_copilot(attested(fx.first, "copilot", [platform])), by_copilot(attested(fx.head, "copilot", [platform]))]), {"pull_request": {"author": {"login": "copilot-swe-agent[bot]", "id": 198982749, "type": "Bot"}}})

accept_platform := fx.with_rules({"provenance_coverage": {"enabled": true, "tiers": {"copilot": ["platform", "sigstore"]}}})

nothing_required := fx.with_rules({
	"provenance_coverage": {"enabled": true, "tiers": {"copilot": ["platform"]}},
	"model_governance": {"require_model": false},
	"prompt": {"require_digest": false},
})

test_default_tiers_are_strict if {
	pull_request.accepted_tiers("copilot") == ["sigstore", "signed-commit"] with data.config as fx.config
	pull_request.accepted_tiers("copilot") == ["sigstore", "signed-commit"] with data.config as object.union(fx.config, {"rules": {"provenance_coverage": {"enabled": true}}})
}

test_signed_commit_from_an_allowed_signer_passes if {
	d := decide(gitsign_pr, fx.config)
	count(d.deny) == 0
	count(d.warn) == 0
}

test_signed_commit_from_another_signer_is_the_signers_rule if {
	other := object.union(gitsign, {"signer": object.union(fx.signer, {"identity": "https://github.com/mallory/x/.github/workflows/a.yml@refs/heads/main"})})
	denied(pr_of([attested(fx.first, "claude-code", [gitsign]), attested(fx.head, "claude-code", [other])]), fx.config) == {"signers"}
}

test_signed_commit_not_accepted_for_the_agent_denies_coverage if {
	cfg := fx.with_rules({"provenance_coverage": {"enabled": true, "tiers": {"claude-code": ["sigstore"]}}})
	msgs(gitsign_pr, cfg, "provenance-coverage") == {
		"commit 1111111 by @claude[bot] carries only signed-commit evidence, which is not accepted for claude-code (accepted: sigstore)",
		"commit 2222222 (head) by @claude[bot] carries only signed-commit evidence, which is not accepted for claude-code (accepted: sigstore)",
	}
	not "signers" in denied(gitsign_pr, cfg)
}

# The commits rest on the platform's signature all the same (with the coverage rule in warn they would pass on it), so
# the model and prompt rules judge it too: it attests neither.
test_platform_commit_denied_under_the_default_tiers if {
	denied(copilot_pr, fx.config) == {"provenance-coverage", "model-governance", "prompt"}
	"commit 2222222 (head) by @Copilot carries only platform evidence, which is not accepted for copilot (accepted: signed-commit, sigstore)" in msgs(copilot_pr, fx.config, "provenance-coverage")
}

test_platform_commit_accepted_but_model_and_prompt_not_attested if {
	denied(copilot_pr, accept_platform) == {"model-governance", "prompt"}
	"commit 2222222 (head): model not attested (tier platform: the platform's signature proves who made the commit, not which model or prompt)" in msgs(copilot_pr, accept_platform, "model-governance")
	"commit 1111111: prompt digest not attested (tier platform: the platform's signature proves who made the commit, not which model or prompt)" in msgs(copilot_pr, accept_platform, "prompt")
}

test_platform_commit_passes_when_nothing_more_is_required_and_says_so if {
	d := decide(copilot_pr, nothing_required)
	count(d.deny) == 0
	{f.msg | some f in d.warn} == {"commits 1111111, 2222222 covered by tier platform: model and prompt not attested"}
}

test_platform_tier_is_judged_for_the_account_agent if {
	# a platform signature of another agent's account on a commit detected as Copilot's: devin's tiers apply
	devin := object.union(platform, {"signer": object.union(platform.signer, {"agent": "devin"})})
	inp := object.union(pr_of([by_copilot(attested(fx.first, "copilot", [devin])), by_copilot(attested(fx.head, "copilot", [platform]))]), {"pull_request": {"author": copilot_pr.pull_request.author}})
	"provenance-coverage" in denied(inp, nothing_required)
	not "provenance-coverage" in denied(inp, fx.with_rules({"provenance_coverage": {"enabled": true, "tiers": {"copilot": ["platform"], "devin": ["platform"]}}, "model_governance": {"require_model": false}, "prompt": {"require_digest": false}}))
}

test_a_stronger_accepted_tier_beside_an_unaccepted_one_covers if {
	inp := pr_of([by_copilot(attested(fx.first, "copilot", [platform, sigstore])), by_copilot(attested(fx.head, "copilot", [platform, sigstore]))])
	d := decide(inp, fx.config)
	count(d.deny) == 0
}

test_platform_rules_fire_only_when_platform_is_the_only_allowed_evidence if {
	# beside an accepted sigstore statement, the platform signature is not judged: no "not attested", no warning
	both := object.union(pr_of([by_copilot(attested(fx.first, "copilot", [platform, sigstore])), by_copilot(attested(fx.head, "copilot", [sigstore, platform]))]), {"pull_request": copilot_pr.pull_request})
	d := decide(both, accept_platform)
	count(d.deny) == 0
	count(d.warn) == 0

	# the sigstore statement's own gaps are judged as such
	bare := object.remove(sigstore, ["model"])
	no_model := object.union(pr_of([by_copilot(attested(fx.first, "copilot", [platform, bare])), by_copilot(attested(fx.head, "copilot", [bare, platform]))]), {"pull_request": copilot_pr.pull_request})
	msgs(no_model, accept_platform, "model-governance") == {"commit 1111111: the provenance names no model", "commit 2222222 (head): the provenance names no model"}
}

test_platform_signer_never_reaches_the_signers_rule if {
	not "signers" in denied(copilot_pr, fx.config)
	not "signers" in denied(copilot_pr, accept_platform)
	count({f | some f in decide(copilot_pr, accept_platform).warn; f.rule == "signers"}) == 0
}

test_default_key_applies_to_agents_without_an_entry if {
	cfg := fx.with_rules({"provenance_coverage": {"enabled": true, "tiers": {"default": ["sigstore"]}}})
	"provenance-coverage" in denied(gitsign_pr, cfg)
	cfg2 := fx.with_rules({"provenance_coverage": {"enabled": true, "tiers": {"default": ["sigstore"], "claude-code": ["signed-commit"]}}})
	count(decide(gitsign_pr, cfg2).deny) == 0
}

test_platform_commit_with_only_the_prompt_required_is_denied_by_prompt_without_a_warning if {
	cfg := fx.with_rules({
		"provenance_coverage": {"enabled": true, "tiers": {"copilot": ["platform"]}},
		"model_governance": {"require_model": false},
	})
	d := decide(copilot_pr, cfg)
	fx.rules_of(d.deny) == {"prompt"}
	count(d.warn) == 0
}

test_platform_commit_counts_only_in_a_pull_request_the_agent_account_opened if {
	# the same GitHub-signed Copilot commits, pushed (e.g. through the contents API) into a PR someone else opened
	inp := object.union(copilot_pr, {"pull_request": {"author": {"login": "mallory", "id": 666, "type": "User"}}})
	"provenance-coverage" in denied(inp, nothing_required)
	some m in msgs(inp, nothing_required, "provenance-coverage")
	contains(m, "a platform signature counts only in a pull request the agent's own account opened")
	not "provenance-coverage" in denied(copilot_pr, nothing_required)
	every m2 in msgs(copilot_pr, accept_nothing_but_platform_for_devin, "provenance-coverage") {
		not contains(m2, "own account opened")
	}
}

accept_nothing_but_platform_for_devin := fx.with_rules({"provenance_coverage": {"enabled": true, "tiers": {"devin": ["platform"]}}})

# Every agent name any signal gives a commit (tier_agents) counts: a tier covers it only if all of them accept it, so
# a name anyone can add (an unsigned trailer, a statement by a signer the repository does not allow) only narrows.
claude_strict := fx.with_rules({"provenance_coverage": {"enabled": true, "tiers": {"claude-code": ["sigstore"], "default": ["sigstore", "signed-commit"]}}})

named(agent, names) := pr_of([
	object.union(attested(fx.first, agent, [gitsign]), {"tier_agents": names}),
	object.union(attested(fx.head, agent, [gitsign]), {"tier_agents": names}),
])

test_another_name_beside_the_agent_does_not_loosen_its_tiers if {
	inp := named("not-claude", ["claude-code", "not-claude"])
	denied(inp, claude_strict) == {"provenance-coverage"}
	"commit 2222222 (head) by @claude[bot] carries only signed-commit evidence, which is not accepted for all of claude-code, not-claude (accepted by all: sigstore)" in msgs(inp, claude_strict, "provenance-coverage")

	# the same commits named only not-claude fall to the default tiers, which accept signed-commit
	count(decide(named("not-claude", ["not-claude"]), claude_strict).deny) == 0
}

test_the_displayed_agent_counts_even_when_tier_agents_leaves_it_out if {
	denied(named("claude-code", ["devin"]), claude_strict) == {"provenance-coverage"}
}

test_a_tier_every_name_accepts_covers if {
	cfg := fx.with_rules({"provenance_coverage": {"enabled": true, "tiers": {"claude-code": ["sigstore", "signed-commit"], "devin": ["signed-commit", "platform"]}}})
	count(decide(named("claude-code", ["claude-code", "devin"]), cfg).deny) == 0
	pull_request.accepted_by_all({"claude-code", "devin"}) == {"signed-commit"} with data.config as cfg
	pull_request.accepted_by_all({"claude-code", "unknown"}) == {"sigstore", "signed-commit"} with data.config as cfg
}

test_the_detail_names_the_displayed_agent_and_every_name_judged if {
	some f in decide(named("not-claude", ["claude-code", "not-claude"]), claude_strict).deny
	f.details.sha == fx.head
	f.details.agent == "not-claude"
	f.details.agents == ["claude-code", "not-claude"]
	f.details.accepted == ["sigstore"]
}

test_a_platform_commit_another_name_claims_takes_that_names_tiers_too if {
	claimed := [object.union(c, {"tier_agents": ["claude-code", "copilot"]}) | some c in copilot_pr.commits]
	inp := object.union(copilot_pr, {"commits": claimed})
	denied(inp, nothing_required) == {"provenance-coverage"}
	"commit 2222222 (head) by @Copilot carries only platform evidence, which is not accepted for all of claude-code, copilot (accepted by all: none)" in msgs(inp, nothing_required, "provenance-coverage")
	not "provenance-coverage" in denied(copilot_pr, nothing_required)
}
