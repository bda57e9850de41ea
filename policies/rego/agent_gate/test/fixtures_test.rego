# Inputs and configuration shared by the policy tests: a compliant agent pull request and deployment.
package agent_gate.test.fixtures

head := "2222222222222222222222222222222222222222"

first := "1111111111111111111111111111111111111111"

signer := {
	"type": "certificate",
	"identity": "https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/main",
	"issuer": "https://token.actions.githubusercontent.com",
	"extensions": {},
}

provenance := {
	"status": "verified",
	"signer": signer,
	"agent": {"name": "claude-code", "version": "2.1.0"},
	"model": {"id": "anthropic/claude-sonnet-4-5", "version": "20250929"},
	"prompt": {"digest": concat("", ["sha256:", concat("", [x | some _ in numbers.range(1, 64); x := "a"])]), "contains_secrets": false, "text_present": false},
	"prompter": {"login": "alice", "id": 1001},
	"rekor_log_index": "123456789",
	"integrated_time": "2026-11-26T06:12:00Z",
	"bundle_digest": concat("", ["sha256:", concat("", [x | some _ in numbers.range(1, 64); x := "b"])]),
}

bot := {"login": "claude[bot]", "id": 209825114, "type": "Bot"}

agent_commit(sha) := {
	"sha": sha,
	"is_head": sha == head,
	"author": {"login": "claude[bot]", "id": 209825114, "email": "209825114+claude[bot]@users.noreply.github.com", "name": "claude[bot]"},
	"committer": {"login": "web-flow", "id": 19864447, "email": "noreply@github.com", "name": "GitHub"},
	"is_agent": true,
	"agent_reasons": ["account"],
	"trailers": {"co_authored_by": ["alice <alice@example.com>"], "assisted_by": [], "generated_by": []},
	"provenance": provenance,
}

# A review by someone with write access (the host looks the permission up for approvals of the head commit).
review(login, id, state, sha, at) := review_by(login, id, state, sha, at, "write")

review_by(login, id, state, sha, at, permission) := {
	"user": {"login": login, "id": id, "type": "User"}, "state": state, "commit_id": sha, "submitted_at": at,
	"permission": permission,
}

pr := {
	"version": 1,
	"kind": "pull_request",
	"now": "2026-11-26T07:00:00Z",
	"config_digest": concat("", ["sha256:", concat("", [x | some _ in numbers.range(1, 64); x := "c"])]),
	"repository": {"owner": "acme", "name": "web", "id": 42, "default_branch": "main"},
	"pull_request": {
		"number": 7, "title": "Add feature", "author": bot, "head_sha": head,
		"base_sha": "0000000000000000000000000000000000000000", "base_ref": "main", "head_ref": "claude/feature",
		"labels": [], "draft": false, "fork": false,
	},
	"commits": [agent_commit(first), agent_commit(head)],
	"files": [{"path": "src/app.ts", "status": "modified", "additions": 10, "deletions": 2, "agent_touched": true}],
	"reviews": [review("bob", 1002, "APPROVED", head, "2026-11-26T06:30:00Z")],
	"agent": {"detected": true, "reasons": ["account"], "accounts": [{"login": "claude[bot]", "id": 209825114}]},
	"prompters": [{"login": "alice", "id": 1001}],
	"prompters_known": true,
}

# The defaults (data.json) with one allowed signer and model: the compliant pull request passes.
config := object.union(data.config, {"rules": {
	"signers": {"allowed": [{"identity": signer.identity, "issuer": signer.issuer}]},
	"model_governance": {"allowed": [{"model": "anthropic/claude-sonnet-4-5", "version": "20250929"}]},
}})

# Replace one commit's provenance fields.
with_provenance(input_doc, sha, patch) := object.union(input_doc, {"commits": [c |
	some c0 in input_doc.commits
	c := _patched(c0, sha, patch)
]})

# Top-level provenance keys are replaced, not merged.
_patched(c, sha, patch) := object.union(object.remove(c, ["provenance"]), {"provenance": object.union(object.remove(c.provenance, object.keys(patch)), patch)}) if {
	c.sha == sha
}

_patched(c, sha, _) := c if c.sha != sha

with_rules(patch) := object.union(config, {"rules": patch})

rules_of(findings) := {f.rule | some f in findings}

deployment := {
	"version": 1,
	"kind": "deployment",
	"now": "2026-11-26T07:00:00Z",
	"config_digest": pr.config_digest,
	"repository": pr.repository,
	"environment": {"name": "staging"},
	"deployment": {"id": 9, "sha": head, "ref": "refs/heads/main", "region": "eu-west-1"},
	"artifacts": [{
		"digest": concat("", ["sha256:", concat("", [x | some _ in numbers.range(1, 64); x := "d"])]),
		"attestations": [{
			"verified": true, "predicate_type": "https://slsa.dev/provenance/v1",
			"builder_id": "https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main",
			"signer": {"identity": "https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main", "issuer": "https://token.actions.githubusercontent.com"},
			"source_repository": "acme/web",
		}],
	}],
	"pr_gate": {"conclusion": "success", "decision_id": "01JDX3"},
	"pr_evidence_status": {"state": "complete", "pull_request": 7},
	"approvals": [],
	"agent_authored": true,
	"agent": {"accounts": [{"login": "claude[bot]", "id": 209825114}]},
	"prompters": [{"login": "alice", "id": 1001}],
	"prompters_known": true,
}

deploy_config := object.union(data.config, {"deployments": {"default": {"builders": ["https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main"]}}})
