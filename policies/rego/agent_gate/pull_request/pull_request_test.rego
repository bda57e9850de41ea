# Every pull-request rule, deny and allow sides, on the compliant fixture with one fact changed at a time.
package agent_gate.pull_request_test

import data.agent_gate.lib
import data.agent_gate.pull_request
import data.agent_gate.test.fixtures as fx

decide(inp, cfg) := d if {
	d := pull_request.decision with input as inp with data.config as cfg
}

denied(inp, cfg) := fx.rules_of(decide(inp, cfg).deny)

warned(inp, cfg) := fx.rules_of(decide(inp, cfg).warn)

test_compliant_agent_pr_passes if {
	d := decide(fx.pr, fx.config)
	count(d.deny) == 0
	count(d.warn) == 0
}

# With no allowed signer, the signers rule denies; the commits rest on those statements all the same (were the signers
# rule in warn, they would pass on them), so the model rule judges them too: no rule's mode decides what another judges.
test_default_config_denies_unconfigured_signers if {
	denied(fx.pr, data.config) == {"signers", "model-governance"}
}

# input and config contract
test_other_input_version_denies if {
	"input" in denied(object.union(fx.pr, {"version": 2}), fx.config)
}

test_missing_config_section_denies if {
	d := decide(fx.pr, {"rules": object.remove(fx.config.rules, ["size"])})
	some f in d.deny
	f.rule == "config"
	f.details.section == "size"
}

test_no_config_at_all_denies if {
	"config" in denied(fx.pr, {})
}

test_head_missing_from_commits_denies if {
	inp := object.union(fx.pr, {"commits": [fx.agent_commit(fx.first)]})
	some f in decide(inp, fx.config).deny
	f.rule == "input"
	contains(f.msg, "2222222")
}

# 1. provenance coverage
test_head_without_provenance_denies if {
	inp := object.union(fx.pr, {"commits": [fx.agent_commit(fx.first), object.union(fx.agent_commit(fx.head), {"provenance": {"status": "missing"}})]})
	d := decide(inp, fx.config)
	some f in d.deny
	f.rule == "provenance-coverage"
	f.msg == "commit 2222222 (head) by @claude[bot] carries no verified provenance (none found)"
	f.details.head == true
	f.severity == "critical"
}

test_earlier_commit_with_invalid_provenance_denies if {
	inp := object.union(fx.pr, {"commits": [object.union(fx.agent_commit(fx.first), {"provenance": {"status": "invalid", "failure_code": "SUBJECT_MISMATCH"}}), fx.agent_commit(fx.head)]})
	some f in decide(inp, fx.config).deny
	f.rule == "provenance-coverage"
	contains(f.msg, "verification failed: SUBJECT_MISMATCH")
	f.details.failure_code == "SUBJECT_MISMATCH"
}

test_human_commit_needs_no_provenance if {
	human := object.union(fx.agent_commit(fx.first), {"is_agent": false, "author": {"login": "bob", "id": 1002}, "provenance": {"status": "missing"}})
	inp := object.union(fx.pr, {"commits": [human, fx.agent_commit(fx.head)]})
	count(decide(inp, fx.config).deny) == 0
}

test_coverage_rule_off if {
	inp := object.union(fx.pr, {"commits": [fx.agent_commit(fx.first), object.union(fx.agent_commit(fx.head), {"provenance": {"status": "missing"}})]})
	not "provenance-coverage" in denied(inp, fx.with_rules({"provenance_coverage": {"enabled": false}}))
}

# 2. signers
test_untrusted_workflow_identity_denies if {
	other := object.union(fx.signer, {"identity": "https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/dev"})
	inp := fx.with_provenance(fx.pr, fx.head, {"signer": other})
	some f in decide(inp, fx.config).deny
	f.rule == "signers"
	contains(f.msg, "@refs/heads/dev")
}

test_issuer_mismatch_denies if {
	inp := fx.with_provenance(fx.pr, fx.head, {"signer": object.union(fx.signer, {"issuer": "https://accounts.example.com"})})
	"signers" in denied(inp, fx.config)
}

test_allowed_key_signer_passes if {
	inp := fx.with_provenance(fx.with_provenance(fx.pr, fx.head, {"signer": {"type": "key", "key_hint": "k1", "extensions": {}}}), fx.first, {"signer": {"type": "key", "key_hint": "k1", "extensions": {}}})
	cfg := fx.with_rules({"signers": {"allowed": [{"key": "k1"}]}})
	not "signers" in denied(inp, cfg)
	"signers" in denied(inp, fx.config)
}

test_repository_entry_replaces_allowed if {
	cfg := fx.with_rules({"signers": {"repositories": {"acme/web": [{"identity": "https://example.com/other", "issuer": "https://issuer"}]}}})
	"signers" in denied(fx.pr, cfg)
	cfg2 := fx.with_rules({"signers": {"repositories": {"acme/other": [{"identity": "https://example.com/other", "issuer": "https://issuer"}]}}})
	not "signers" in denied(fx.pr, cfg2)
}

test_signers_rule_off if {
	not "signers" in denied(fx.pr, fx.with_rules({"signers": {"enabled": false, "allowed": []}}))
}

# 3. model governance
test_dates_are_days_since_epoch if {
	lib.days_from_civil("1970-01-01") == 0
	lib.days_from_civil("2000-03-01") == 11017
	lib.days_from_civil("2024-02-29") == 19782
	lib.days_from_civil("1969-12-31") == -1
	lib.days_until("2026-12-26") == 30 with input as fx.pr
}

test_unlisted_model_denies if {
	inp := fx.with_provenance(fx.pr, fx.head, {"model": {"id": "acme/experimental", "version": "1"}})
	some f in decide(inp, fx.config).deny
	f.rule == "model-governance"
	contains(f.msg, "`acme/experimental@1` is not on the allow-list")
}

test_other_version_denies if {
	inp := fx.with_provenance(fx.pr, fx.head, {"model": {"id": "anthropic/claude-sonnet-4-5", "version": "20240101"}})
	"model-governance" in denied(inp, fx.config)
}

test_any_version_entry_allows if {
	inp := fx.with_provenance(fx.pr, fx.head, {"model": {"id": "anthropic/claude-sonnet-4-5", "version": "20240101"}})
	cfg := fx.with_rules({"model_governance": {"allowed": [{"model": "anthropic/claude-sonnet-4-5"}]}})
	not "model-governance" in denied(inp, cfg)
}

test_expired_model_denies if {
	cfg := fx.with_rules({"model_governance": {"allowed": [{"model": "anthropic/claude-sonnet-4-5", "version": "20250929", "expires": "2026-11-26"}]}})
	some f in decide(fx.pr, cfg).deny
	f.rule == "model-governance"
	contains(f.msg, "left the allow-list on 2026-11-26")
}

test_malformed_expiry_does_not_keep_a_model_allowed if {
	some expires in ["2027-13-01", "someday", "2027-6-1", "2027/06/01"]
	cfg := fx.with_rules({"model_governance": {"allowed": [{"model": "anthropic/claude-sonnet-4-5", "version": "20250929", "expires": expires}]}})
	some f in decide(fx.pr, cfg).deny
	f.rule == "model-governance"
	contains(f.msg, "left the allow-list")
}

# The month-based bound that rules a far expiry out of the warning never exceeds the exact count of days to a date
# that has not passed (the warning only looks at live entries).
test_days_at_least_is_a_lower_bound if {
	pairs := [
		["2026-11-26", "2026-11-27"], ["2026-11-26", "2026-11-30"], ["2026-11-30", "2026-12-01"],
		["2026-11-26", "2026-12-31"], ["2026-11-26", "2027-01-01"], ["2027-01-31", "2027-03-01"],
		["2028-01-31", "2028-03-01"], ["2027-12-31", "2028-02-29"], ["2026-11-26", "2030-11-26"],
	]
	every pair in pairs {
		now := concat("", [pair[0], "T12:00:00Z"])
		bound := pull_request._days_at_least(pair[1]) with input.now as now
		days := lib.days_until(pair[1]) with input.now as now
		bound <= days
	}
}

test_expiring_model_warns if {
	cfg := fx.with_rules({"model_governance": {"allowed": [{"model": "anthropic/claude-sonnet-4-5", "version": "20250929", "expires": "2026-12-01"}]}})
	d := decide(fx.pr, cfg)
	count(d.deny) == 0
	some f in d.warn
	f.rule == "model-governance"
	f.details.days_left == 5
	contains(f.msg, "(in 5 days)")
}

test_model_far_from_expiry_does_not_warn if {
	cfg := fx.with_rules({"model_governance": {"allowed": [{"model": "anthropic/claude-sonnet-4-5", "version": "20250929", "expires": "2027-06-01"}]}})
	count(decide(fx.pr, cfg).warn) == 0
}

test_unexpiring_entry_beats_expiring_one if {
	cfg := fx.with_rules({"model_governance": {"allowed": [
		{"model": "anthropic/claude-sonnet-4-5", "version": "20250929", "expires": "2026-12-01"},
		{"model": "anthropic/claude-sonnet-4-5"},
	]}})
	count(decide(fx.pr, cfg).warn) == 0
}

test_missing_model_denies_unless_not_required if {
	inp := fx.with_provenance(fx.pr, fx.head, {"model": null})
	"model-governance" in denied(inp, fx.config)
	not "model-governance" in denied(inp, fx.with_rules({"model_governance": {"require_model": false}}))
}

# 4. prompt
test_missing_prompt_digest_denies if {
	inp := fx.with_provenance(fx.pr, fx.head, {"prompt": {"contains_secrets": false, "text_present": false}})
	"prompt" in denied(inp, fx.config)
	not "prompt" in denied(inp, fx.with_rules({"prompt": {"require_digest": false}}))
}

test_prompt_with_secrets_denies if {
	inp := fx.with_provenance(fx.pr, fx.first, {"prompt": object.union(fx.provenance.prompt, {"contains_secrets": true})})
	some f in decide(inp, fx.config).deny
	f.rule == "prompt"
	f.severity == "critical"
	not "prompt" in denied(inp, fx.with_rules({"prompt": {"enabled": false}}))
}

# 5. protected paths
workflow_pr := object.union(fx.pr, {"files": [{"path": ".github/workflows/deploy.yml", "status": "modified", "additions": 1, "deletions": 1, "agent_touched": true}]})

test_workflow_change_with_qualifying_approval_passes if {
	count(decide(workflow_pr, fx.config).deny) == 0
}

test_workflow_change_without_approval_denies if {
	inp := object.union(workflow_pr, {"reviews": []})
	some f in decide(inp, fx.config).deny
	f.rule == "protected-paths"
	f.details.mode == "require-approval"
	contains(f.remediation, "@alice")
}

test_workflow_change_approved_only_by_prompter_denies if {
	inp := object.union(workflow_pr, {"reviews": [fx.review("alice", 1001, "APPROVED", fx.head, "2026-11-26T06:30:00Z")]})
	"protected-paths" in denied(inp, fx.config)
}

test_workflow_change_approved_only_by_a_reader_denies if {
	inp := object.union(workflow_pr, {"reviews": [fx.review_by("bob", 1002, "APPROVED", fx.head, "2026-11-26T06:30:00Z", "read")]})
	"protected-paths" in denied(inp, fx.config)
}

test_deny_mode_denies_despite_approval if {
	cfg := fx.with_rules({"protected_paths": {"mode": "deny"}})
	some f in decide(workflow_pr, cfg).deny
	f.rule == "protected-paths"
	f.details.mode == "deny"
}

test_per_pattern_mode if {
	cfg := fx.with_rules({"protected_paths": {"paths": [{"pattern": ".github/workflows/**", "mode": "deny"}, "infra/**"]}})
	"protected-paths" in denied(workflow_pr, cfg)
	inp := object.union(fx.pr, {"files": [{"path": "infra/main.tf", "status": "added", "additions": 1, "deletions": 0, "agent_touched": true}]})
	not "protected-paths" in denied(inp, cfg)
}

test_renaming_a_protected_file_away_denies if {
	inp := object.union(fx.pr, {
		"reviews": [],
		"files": [{"path": "ci/old.yml", "previous_path": ".github/workflows/ci.yml", "status": "renamed", "additions": 0, "deletions": 0, "agent_touched": true}],
	})
	"protected-paths" in denied(inp, fx.with_rules({"human_approval": {"enabled": false}}))
}

test_config_and_codeowners_are_protected if {
	some p in ["CODEOWNERS", ".github/agent-gate.yml", "policies/rego/x.rego"]
	inp := object.union(fx.pr, {"reviews": [], "files": [{"path": p, "status": "modified", "additions": 1, "deletions": 0, "agent_touched": true}]})
	"protected-paths" in denied(inp, fx.config)
}

test_human_change_to_protected_path_is_not_judged if {
	inp := object.union(workflow_pr, {"reviews": [], "files": [object.union(workflow_pr.files[0], {"agent_touched": false})]})
	not "protected-paths" in denied(inp, fx.config)
}

test_protected_paths_rule_off if {
	inp := object.union(workflow_pr, {"reviews": []})
	not "protected-paths" in denied(inp, fx.with_rules({"protected_paths": {"enabled": false}}))
}

# 6. human approval with separation of duties
test_agent_pr_without_review_denies if {
	some f in decide(object.union(fx.pr, {"reviews": []}), fx.config).deny
	f.rule == "human-approval"
	f.msg == "an agent pull request needs 1 human approval on the head commit 2222222 (has 0)"
}

test_prompter_approval_does_not_count if {
	inp := object.union(fx.pr, {"reviews": [fx.review("alice", 1001, "APPROVED", fx.head, "2026-11-26T06:30:00Z")]})
	some f in decide(inp, fx.config).deny
	f.rule == "human-approval"
	f.details.ignored == [{"login": "alice", "reason": "agent or prompter"}]
}

test_prompter_from_provenance_only_does_not_count if {
	inp := object.union(fx.pr, {"prompters": [], "reviews": [fx.review("alice", 1001, "APPROVED", fx.head, "2026-11-26T06:30:00Z")]})
	"human-approval" in denied(inp, fx.config)
}

# The decision names whom it keeps from approving (a deployment of the commit reads it from the record): the prompter
# of the statement it rests on, by id and lowercased login, with those the host lists by login alone.
test_decision_names_the_excluded if {
	inp := object.union(fx.pr, {"prompters": [{"login": "BOB", "source": "PR body"}]})
	d := decide(inp, fx.config)
	1001 in d.excluded.ids
	"alice" in d.excluded.logins
	"bob" in d.excluded.logins
}

test_bot_approval_does_not_count if {
	r := object.union(fx.review("helper[bot]", 5, "APPROVED", fx.head, "2026-11-26T06:30:00Z"), {"user": {"login": "helper[bot]", "id": 5, "type": "Bot"}})
	"human-approval" in denied(object.union(fx.pr, {"reviews": [r]}), fx.config)
}

test_approval_without_write_access_does_not_count if {
	some permission in ["read", "none"]
	inp := object.union(fx.pr, {"reviews": [fx.review_by("bob", 1002, "APPROVED", fx.head, "2026-11-26T06:30:00Z", permission)]})
	some f in decide(inp, fx.config).deny
	f.rule == "human-approval"
	f.details.ignored == [{"login": "bob", "reason": "no write access"}]
	f.msg == "an agent pull request needs 1 human approval on the head commit 2222222 (has 0; not counted: @bob (no write access))"
	contains(f.remediation, "with write access")
}

test_approval_whose_permission_is_unknown_does_not_count if {
	r := object.remove(fx.review("bob", 1002, "APPROVED", fx.head, "2026-11-26T06:30:00Z"), ["permission"])
	"human-approval" in denied(object.union(fx.pr, {"reviews": [r]}), fx.config)
}

test_admin_approval_counts if {
	inp := object.union(fx.pr, {"reviews": [fx.review_by("bob", 1002, "APPROVED", fx.head, "2026-11-26T06:30:00Z", "admin")]})
	not "human-approval" in denied(inp, fx.config)
}

test_without_write_access_requirement_a_reader_counts if {
	inp := object.union(fx.pr, {"reviews": [fx.review_by("bob", 1002, "APPROVED", fx.head, "2026-11-26T06:30:00Z", "read")]})
	not "human-approval" in denied(inp, fx.with_rules({"human_approval": {"require_write_access": false}}))
}

test_prompter_without_write_access_is_ignored_as_prompter if {
	inp := object.union(fx.pr, {"reviews": [fx.review_by("alice", 1001, "APPROVED", fx.head, "2026-11-26T06:30:00Z", "read")]})
	some f in decide(inp, fx.config).deny
	f.rule == "human-approval"
	f.details.ignored == [{"login": "alice", "reason": "agent or prompter"}]
}

test_approval_of_an_older_commit_does_not_count if {
	inp := object.union(fx.pr, {"reviews": [fx.review("bob", 1002, "APPROVED", fx.first, "2026-11-26T06:30:00Z")]})
	"human-approval" in denied(inp, fx.config)
}

test_later_change_request_supersedes_approval if {
	inp := object.union(fx.pr, {"reviews": [
		fx.review("bob", 1002, "APPROVED", fx.head, "2026-11-26T06:30:00Z"),
		fx.review("bob", 1002, "CHANGES_REQUESTED", fx.head, "2026-11-26T06:40:00Z"),
	]})
	"human-approval" in denied(inp, fx.config)
}

# Reviews of the same second are ordered by the host's `order` (the review's database id, else its place in GitHub's
# list): the later is the user's latest. A tie nothing orders (no order, or the same one) leaves the approval uncounted.
_same_second(approve, change) := [
	object.union(fx.review("bob", 1002, "APPROVED", fx.head, "2026-11-26T06:30:00Z"), approve),
	object.union(fx.review("bob", 1002, "CHANGES_REQUESTED", fx.head, "2026-11-26T06:30:00Z"), change),
]

test_change_request_in_the_same_second_supersedes_approval if {
	"human-approval" in denied(object.union(fx.pr, {"reviews": _same_second({"order": 7}, {"order": 8})}), fx.config)
	not "human-approval" in denied(object.union(fx.pr, {"reviews": _same_second({"order": 8}, {"order": 7})}), fx.config)
}

test_unordered_tie_of_the_same_second_does_not_approve if {
	"human-approval" in denied(object.union(fx.pr, {"reviews": _same_second({}, {})}), fx.config)
	"human-approval" in denied(object.union(fx.pr, {"reviews": _same_second({"order": 8}, {})}), fx.config)
	"human-approval" in denied(object.union(fx.pr, {"reviews": _same_second({"order": 7}, {"order": 7})}), fx.config)
}

test_comment_in_the_same_second_keeps_approval if {
	inp := object.union(fx.pr, {"reviews": [
		fx.review("bob", 1002, "APPROVED", fx.head, "2026-11-26T06:30:00Z"),
		fx.review("bob", 1002, "COMMENTED", fx.head, "2026-11-26T06:30:00Z"),
	]})
	not "human-approval" in denied(inp, fx.config)
}

test_later_comment_keeps_approval if {
	inp := object.union(fx.pr, {"reviews": [
		fx.review("bob", 1002, "APPROVED", fx.head, "2026-11-26T06:30:00Z"),
		fx.review("bob", 1002, "COMMENTED", fx.head, "2026-11-26T06:40:00Z"),
	]})
	not "human-approval" in denied(inp, fx.config)
}

test_two_approvals_required if {
	cfg := fx.with_rules({"human_approval": {"count": 2}})
	"human-approval" in denied(fx.pr, cfg)
	inp := object.union(fx.pr, {"reviews": array.concat(fx.pr.reviews, [fx.review("carol", 1003, "APPROVED", fx.head, "2026-11-26T06:31:00Z")])})
	not "human-approval" in denied(inp, cfg)
}

test_without_separation_of_duties_prompter_counts if {
	inp := object.union(fx.pr, {"reviews": [fx.review("alice", 1001, "APPROVED", fx.head, "2026-11-26T06:30:00Z")]})
	not "human-approval" in denied(inp, fx.with_rules({"human_approval": {"separation_of_duties": false}}))
}

test_human_pr_needs_no_agent_approval if {
	inp := object.union(fx.pr, {"reviews": [], "agent": {"detected": false, "reasons": [], "accounts": []}})
	not "human-approval" in denied(inp, fx.config)
}

# 7. size
test_too_many_files_denies if {
	cfg := fx.with_rules({"size": {"max_files": 1}})
	files := [{"path": concat("", ["src/f", format_int(i, 10), ".ts"]), "status": "added", "additions": 1, "deletions": 0, "agent_touched": true} | some i in numbers.range(1, 2)]
	some f in decide(object.union(fx.pr, {"files": files}), cfg).deny
	f.rule == "size"
	f.msg == "the agent changed 2 files; the limit is 1"
}

test_too_many_lines_denies if {
	cfg := fx.with_rules({"size": {"max_lines": 11}})
	"size" in denied(fx.pr, cfg)
	not "size" in denied(fx.pr, fx.with_rules({"size": {"max_lines": 12}}))
	not "size" in denied(fx.pr, fx.with_rules({"size": {"max_lines": 11, "enabled": false}}))
}

test_input_without_facts_denies if {
	some f in decide({"version": 1}, fx.config).deny
	f.rule == "input"
	f.details.field == "pull_request"
	not "input" in denied(fx.pr, fx.config)
}

test_one_finding_per_signer_and_model_listing_the_commits if {
	other := object.union(fx.signer, {"identity": "https://example.com/other"})
	inp := fx.with_provenance(fx.with_provenance(fx.pr, fx.head, {"signer": other, "model": {"id": "acme/x"}}), fx.first, {"signer": other, "model": {"id": "acme/x"}})
	d := decide(inp, fx.config)
	{f.msg | some f in d.deny} == {
		"provenance signed by `https://example.com/other` (issuer `https://token.actions.githubusercontent.com`) is not from an allowed signer for acme/web (commits 1111111, 2222222)",
		"model `acme/x` is not on the allow-list (commits 1111111, 2222222)",
	}
	allowed := fx.with_provenance(fx.with_provenance(fx.pr, fx.head, {"model": {"id": "acme/x"}}), fx.first, {"model": {"id": "acme/x"}})
	{f.msg | some f in decide(allowed, fx.config).deny} == {"model `acme/x` is not on the allow-list (commits 1111111, 2222222)"}
}

test_literal_prefix_of_globs if {
	data.agent_gate.pull_request._literal_prefix(".github/workflows/**") == ".github/workflows/"
	data.agent_gate.pull_request._literal_prefix("**/*.tf") == ""
	data.agent_gate.pull_request._literal_prefix("CODEOWNERS") == "CODEOWNERS"
	data.agent_gate.pull_request._literal_prefix("src/{a,b}/x") == "src/"
	data.agent_gate.pull_request._literal_prefix("a\\*b") == ""
}

# Every pattern shape gives what glob.match gives: literal globs (looked up), "prefix**" (startswith) and the rest.
_hit(glob, path) := count(hits) > 0 if {
	inp := object.union(fx.pr, {"files": [{"path": path, "status": "modified", "additions": 1, "deletions": 0, "agent_touched": true}]})
	hits := pull_request._glob_hits with input as inp with data.config as fx.with_rules({"protected_paths": {"paths": [glob]}})
}

test_pattern_shapes_agree_with_glob_match if {
	globs := [
		"CODEOWNERS", ".github/CODEOWNERS", ".github/workflows/**", "infra/**", "**", "src**", "",
		"docs/\\*", "a\\b", "a\\**", "**/*.tf", "src/{app,lib}.ts", "[Cc]ODEOWNERS", "policies/*", "infra/**/x",
		"a}b", "a]b", "a,b", "infra/***",
	]
	paths := [
		"CODEOWNERS", ".github/CODEOWNERS", "a/CODEOWNERS", "cODEOWNERS", ".github/workflows/ci.yml",
		".github/workflows/", ".github/workflows", ".github/workflows/a/b.yml", "infra", "infra/", "infra/main.tf",
		"infra/a/x", "src", "srcx/y", "src/app.ts", "docs/*", "docs/x", "", "a\\b", "ab", "a*", "a*x", "a}b", "a]b", "a,b",
		"policies/x.rego",
	]
	every g in globs {
		every path in paths {
			_hit(g, path) == glob.match(g, ["/"], path)
		}
	}
}

test_pattern_shapes if {
	pull_request._pattern("CODEOWNERS", "deny").kind == "literal"
	pull_request._pattern("a}b", "deny").kind == "literal"
	pull_request._pattern(".github/workflows/**", "deny") == {"pattern": ".github/workflows/**", "mode": "deny", "kind": "subtree", "prefix": ".github/workflows/"}
	pull_request._pattern("**", "deny").prefix == ""
	pull_request._pattern("**/*.tf", "deny").kind == "glob"
	pull_request._pattern("infra/**/x", "deny") == {"pattern": "infra/**/x", "mode": "deny", "kind": "glob", "prefix": "infra/"}
	pull_request._pattern("a\\**", "deny").kind == "glob"
	pull_request._pattern("docs/\\*", "deny").prefix == ""
}

# A path that is a directory of a protected path (a submodule pointer, a file turned into a tree) is a change there.
_dir_hit(glob, file) := {h.pattern | some h in hits} if {
	inp := object.union(fx.pr, {"files": [object.union({"status": "modified", "additions": 1, "deletions": 1, "agent_touched": true}, file)]})
	hits := pull_request._hits with input as inp with data.config as fx.with_rules({"protected_paths": {"paths": [glob]}})
}

test_directory_of_a_protected_path_is_protected if {
	_dir_hit(".github/workflows/**", {"path": ".github"}) == {".github/workflows/**"}
	_dir_hit(".github/workflows/**", {"path": ".github/workflows"}) == {".github/workflows/**"}
	_dir_hit(".github/CODEOWNERS", {"path": ".github"}) == {".github/CODEOWNERS"}
	_dir_hit("infra/**", {"path": "infra"}) == {"infra/**"}
	_dir_hit("infra/**", {"path": "inf"}) == set()
	_dir_hit(".github/CODEOWNERS", {"path": ".github/CODEOWNERS/x"}) == set()
	_dir_hit("**/*.tf", {"path": "vendor/mod"}) == set()
	_dir_hit("**/*.tf", {"path": "vendor/mod", "submodule": true}) == {"**/*.tf"}
	_dir_hit("infra/**/x.tf", {"path": "infra", "submodule": true}) == {"infra/**/x.tf"}
	_dir_hit("infra/**/x.tf", {"path": "src", "submodule": true}) == set()
}

# Globs too: a changed path whose segments match a glob's first segments (those before a "**", which spans any
# depth, and before its last) is a directory the glob's files could lie in, as a file or symlink replacing the tree.
test_directory_of_a_protected_glob_is_protected if {
	_dir_hit("deploy/*.yml", {"path": "deploy"}) == {"deploy/*.yml"}
	_dir_hit("deploy/*/prod/*.yml", {"path": "deploy/eu"}) == {"deploy/*/prod/*.yml"}
	_dir_hit("deploy/*/prod/*.yml", {"path": "deploy/eu/prod"}) == {"deploy/*/prod/*.yml"}
	_dir_hit("deploy/*/prod/*.yml", {"path": "deploy/eu/staging"}) == set()
	_dir_hit("[Dd]eploy/*.yml", {"path": "Deploy"}) == {"[Dd]eploy/*.yml"}
	_dir_hit("{deploy,ops}/*.yml", {"path": "ops"}) == {"{deploy,ops}/*.yml"}
	_dir_hit("src/**/*.ts", {"path": "src"}) == {"src/**/*.ts"}
	_dir_hit("deploy/*.yml", {"path": "deployx"}) == set()
	_dir_hit("deploy/*.yml", {"path": "deploy/x"}) == set()
	_dir_hit("*.yml", {"path": "deploy"}) == set()
	_dir_hit("src/**/*.ts", {"path": "src/lib"}) == set()
	_dir_hit("**/*.tf", {"path": "vendor"}) == set()
	_dir_hit("ops/{a,b/c}/*.yml", {"path": "ops"}) == {"ops/{a,b/c}/*.yml"}
	_dir_hit("ops/{a,b/c}/*.yml", {"path": "ops/a"}) == set()
	_dir_hit("ops/a\\/b/*.yml", {"path": "ops"}) == {"ops/a\\/b/*.yml"}
}

test_file_at_a_protected_glob_directory_denies if {
	files := [
		{"path": "deploy", "status": "added", "additions": 1, "deletions": 0, "agent_touched": true},
		{"path": "staging-copy/prod.yml", "status": "added", "additions": 1, "deletions": 0, "agent_touched": true},
	]
	some f in decide(object.union(fx.pr, {"files": files}), fx.with_rules({"protected_paths": {"paths": ["deploy/*.yml"], "path_mode": "deny"}})).deny
	f.rule == "protected-paths"
	f.details.path == "deploy"
	f.details.patterns == ["deploy/*.yml"]
}

test_binary_files_count_lines if {
	files := [{"path": sprintf_free(i), "status": "modified", "additions": 0, "deletions": 0, "agent_touched": true, "binary": true} | some i in numbers.range(1, 11)]
	d := decide(object.union(fx.pr, {"files": files}), fx.with_rules({"size": {"max_lines": 1000, "binary_file_lines": 100}}))
	some f in d.deny
	f.rule == "size"
	f.details.lines == 1100
}

sprintf_free(i) := concat("", ["assets/", format_int(i, 10), ".png"])

test_binary_files_within_limit if {
	files := [{"path": "assets/a.png", "status": "added", "additions": 0, "deletions": 0, "agent_touched": true, "binary": true}]
	d := decide(object.union(fx.pr, {"files": files}), fx.with_rules({"size": {"max_lines": 1000, "binary_file_lines": 100}}))
	not _has_rule(d.deny, "size")
}

_has_rule(findings, rule) if {
	some f in findings
	f.rule == rule
}

# completeness: a list cut short, or shorter than the pull request's own count, denies
_complete := {
	"commits": {"listed": 2, "reported": 2, "limit": 250, "truncated": false},
	"files": {"listed": 1, "reported": 1, "limit": 3000, "truncated": false},
	"reviews": {"listed": 1, "limit": 1000, "truncated": false},
	"comments": {"listed": 0, "reported": 0, "limit": 3000, "truncated": false},
}

_with_list(name, l) := object.union(fx.pr, {"completeness": object.union(_complete, {name: l})})

test_complete_lists_pass if {
	count(decide(object.union(fx.pr, {"completeness": _complete}), fx.config).deny) == 0
}

test_truncated_commits_deny if {
	d := decide(_with_list("commits", {"listed": 250, "reported": 300, "limit": 250, "truncated": true}), fx.config)
	some f in d.deny
	f.rule == "completeness"
	f.msg == "too many commits to evaluate: GitHub lists at most 250 and this pull request has more; agent-gate cannot judge what it cannot see"
}

test_files_fewer_than_reported_deny if {
	d := decide(_with_list("files", {"listed": 3, "reported": 5, "limit": 3000, "truncated": false}), fx.config)
	some f in d.deny
	f.msg == "too many changed files to evaluate: GitHub listed 3 of the 5 the pull request reports; agent-gate cannot judge what it cannot see"
}

# A read that ended short of GitHub's count under the limit (GraphQL's totalCount) names the gap, not the limit.
test_reviews_short_of_their_count_deny if {
	d := decide(_with_list("reviews", {"listed": 1, "reported": 2, "limit": 1000, "truncated": true}), fx.config)
	some f in d.deny
	f.msg == "too many reviews to evaluate: GitHub listed 1 of the 2 the pull request reports; agent-gate cannot judge what it cannot see"
	f.details == {"list": "reviews", "listed": 1, "reported": 2, "limit": 1000}
}

test_truncated_under_the_limit_without_a_count_deny if {
	d := decide(_with_list("reviews", {"listed": 5, "limit": 1000, "truncated": true}), fx.config)
	some f in d.deny
	f.msg == "too many reviews to evaluate: GitHub listed 5 and said there were more; agent-gate cannot judge what it cannot see"
}

test_at_the_limit_short_of_the_count_deny if {
	d := decide(_with_list("commits", {"listed": 250, "reported": 300, "limit": 250, "truncated": false}), fx.config)
	some f in d.deny
	f.msg == "too many commits to evaluate: GitHub listed 250 of the 300 the pull request reports; agent-gate cannot judge what it cannot see"
}

test_comments_count_only_for_agent_prs if {
	inp := _with_list("comments", {"listed": 3000, "reported": 4000, "limit": 3000, "truncated": true})
	"completeness" in denied(inp, fx.config)
	human := object.union(inp, {"agent": {"detected": false}, "commits": [object.union(c, {"is_agent": false}) | some c in inp.commits]})
	not "completeness" in denied(human, fx.config)
	"completeness" in denied(object.union(human, {"completeness": object.union(_complete, {"files": {"listed": 1, "reported": 2, "limit": 3000, "truncated": false}})}), fx.config)
}

test_completeness_switch if {
	not "completeness" in denied(_with_list("reviews", {"listed": 1000, "limit": 1000, "truncated": true}), fx.with_rules({"completeness": {"enabled": false}}))
	"completeness" in denied(_with_list("reviews", {"listed": 1000, "limit": 1000, "truncated": true}), fx.config)
}

# malformed evidence is a warning naming where it was
test_unreadable_blocks_warn if {
	problems := [
		{"location": "pr-body", "message": "provenance block is empty"},
		{"location": "pr-comment", "comment_id": 5, "author": "mallory", "message": "not base64"},
		{"location": "pr-comment", "comment_id": 6, "message": "not base64"},
	]
	d := decide(object.union(fx.pr, {"evidence_problems": problems}), fx.config)
	{f.msg | some f in d.warn; f.rule == "evidence"} == {
		"a provenance block in the PR description could not be read: provenance block is empty",
		"a provenance block in a comment by @mallory could not be read: not base64",
		"a provenance block in a comment could not be read: not base64",
	}
	count(d.deny) == 0
}

# past ten unreadable blocks, one more warning counts the rest
test_unreadable_blocks_past_ten_are_counted if {
	problems := [{"location": "pr-comment", "comment_id": i, "author": "mallory", "message": "empty"} | some i in numbers.range(1, 13)]
	d := decide(object.union(fx.pr, {"evidence_problems": problems}), fx.config)
	msgs := [f.msg | some f in d.warn; f.rule == "evidence"]
	count(msgs) == 11
	"3 more provenance blocks could not be read (13 in all; the first 10 are listed)" in msgs
}

# every model a signed statement names is judged: subagents' and tools' too
test_subagent_model_off_the_list_denies if {
	models := [
		{"id": "anthropic/claude-sonnet-4-5", "version": "20250929", "role": "agent"},
		{"id": "acme/cheap-model", "version": "1", "role": "subagent"},
	]
	inp := fx.with_provenance(fx.pr, fx.head, {"models": models})
	d := decide(inp, fx.config)
	{f.msg | some f in d.deny} == {"model `acme/cheap-model@1` is not on the allow-list (commit 2222222)"}
}

test_allowed_subagent_models_pass if {
	models := [{"id": "anthropic/claude-sonnet-4-5", "version": "20250929", "role": "subagent"}, {"id": "anthropic/claude-sonnet-4-5", "version": "20250929", "role": "tool"}]
	count(decide(fx.with_provenance(fx.pr, fx.head, {"models": models}), fx.config).deny) == 0
}

# a prompter named by login alone (a PR-body line, a co-author) cannot approve either, whatever the case
test_prompter_named_by_login_cannot_approve if {
	inp := object.union(fx.pr, {"prompters": [{"login": "alice", "id": 1001}, {"login": "BOB", "source": "PR body: \"requested by\""}]})
	d := decide(inp, fx.config)
	some f in d.deny
	f.rule == "human-approval"
	f.details.ignored == [{"login": "bob", "reason": "agent or prompter"}]
}
