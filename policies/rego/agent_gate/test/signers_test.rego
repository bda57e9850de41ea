# Signer matching (lib.signer_matches) in every form, and signer trust decided in the pull-request and deployment
# decisions: the host passes every verified statement with its signer's facts; the policy chooses.
package agent_gate.signers_test

import data.agent_gate.deployment
import data.agent_gate.lib
import data.agent_gate.pull_request
import data.agent_gate.test.fixtures as fx

gha := "https://token.actions.githubusercontent.com"

# A GitHub Actions signer's facts as signer-facts.ts gives them.
wf(owner, name, path, ref, runner) := {
	"type": "certificate",
	"identity": concat("", ["https://github.com/", owner, "/", name, "/", path, "@", ref]),
	"issuer": gha,
	"extensions": {"runnerEnvironment": runner},
	"workflow": {"owner": owner, "name": name, "repository": concat("/", [owner, name]), "path": path, "ref": ref},
	"source_repository": "acme/web",
	"source_ref": "refs/heads/claude/feature",
	"runner": runner,
}

agent := wf("acme", "agent-signing", ".github/workflows/agent.yml", "refs/heads/main", "github-hosted")

self_hosted := wf("acme", "agent-signing", ".github/workflows/agent.yml", "refs/heads/main", "self-hosted")

stranger := wf("mallory", "agents", ".github/workflows/agent.yml", "refs/heads/main", "github-hosted")

ok(e, s) if lib.signer_matches(e, s)

test_owner_only if {
	ok({"owner": "acme"}, agent)
	ok({"owner": "ACME"}, agent)
	not ok({"owner": "mallory"}, agent)
	not ok({"owner": "acm"}, agent)
}

test_owner_and_repo if {
	ok({"owner": "acme", "repo": "agent-signing"}, agent)
	ok({"owner": "acme", "repo": "Agent-Signing"}, agent)
	not ok({"owner": "acme", "repo": "other"}, agent)
}

test_workflow_any_ref_or_listed_refs if {
	ok({"owner": "acme", "repo": "agent-signing", "workflow": ".github/workflows/agent.yml"}, agent)
	not ok({"owner": "acme", "workflow": ".github/workflows/release.yml"}, agent)
	ok({"owner": "acme", "workflow": ".github/workflows/agent.yml", "refs": ["refs/heads/main", "refs/tags/v1"]}, agent)
	not ok({"owner": "acme", "workflow": ".github/workflows/agent.yml", "refs": ["refs/heads/dev"]}, agent)
	ok({"owner": "acme", "refs": ["refs/heads/main"]}, agent)
}

test_self_hosted_runner_refused if {
	ok({"owner": "acme", "runner": "github-hosted"}, agent)
	not ok({"owner": "acme", "runner": "github-hosted"}, self_hosted)
	not ok({"owner": "acme", "runner": "github-hosted"}, object.remove(agent, ["runner"]))
	ok({"owner": "acme"}, self_hosted)
	ok({"owner": "acme", "runner": "any"}, self_hosted)
}

test_source_repository_and_ref if {
	ok({"owner": "acme", "source_repository": "ACME/web", "source_ref": "refs/heads/claude/feature"}, agent)
	not ok({"owner": "acme", "source_repository": "acme/other"}, agent)
	not ok({"owner": "acme", "source_ref": "refs/heads/main"}, agent)
	not ok({"owner": "acme", "source_repository": "acme/web"}, object.remove(agent, ["source_repository"]))
}

test_workflow_issuer if {
	not ok({"owner": "acme"}, object.union(agent, {"issuer": "https://token.actions.ghe.example"}))
	ok({"owner": "acme", "issuer": "https://token.actions.ghe.example"}, object.union(agent, {"issuer": "https://token.actions.ghe.example"}))
	not ok({"owner": "acme"}, object.remove(agent, ["workflow"]))
	not ok({"owner": "acme"}, {"type": "key", "key_hint": "acme"})
}

test_exact_identity if {
	ok({"identity": agent.identity, "issuer": gha}, agent)
	not ok({"identity": agent.identity, "issuer": "https://accounts.google.com"}, agent)
	not ok({"identity": stranger.identity, "issuer": gha}, agent)
}

test_identity_pattern_anchored if {
	ok({"identity_pattern": `^https://github\.com/acme/[^/]+/\.github/workflows/agent\.yml@refs/heads/main$`, "issuer": gha}, agent)
	not ok({"identity_pattern": `^https://github\.com/acme/[^/]+/\.github/workflows/agent\.yml@refs/heads/main$`, "issuer": gha}, stranger)
	not ok({"identity_pattern": `^https://github\.com/acme/.*$`, "issuer": "https://other"}, agent)

	# anchored again as ^(?:pat)$: an alternation cannot match a mere prefix or suffix
	not ok({"identity_pattern": `^https://github\.com/acme/|nothing$`, "issuer": gha}, agent)
	not ok({"identity_pattern": "^https://github.com/acme/agent-signing/$", "issuer": gha}, agent)
}

test_key if {
	ok({"key": "k1"}, {"type": "key", "key_hint": "k1", "extensions": {}})
	not ok({"key": "k1"}, {"type": "key", "key_hint": "k2", "extensions": {}})
	not ok({"key": "k1"}, object.union(agent, {"key_hint": "k1"}))
}

# Pull requests: commits carry attestations; every one from an allowed signer is judged, in whatever order.
att(signer) := object.union(object.remove(fx.provenance, ["status", "signer"]), {"tier": "sigstore", "signer": signer})

with_attestations(atts) := object.union(fx.pr, {"commits": [c |
	some c0 in fx.pr.commits
	c := object.union(object.remove(c0, ["provenance"]), {"provenance": {"status": "attested"}, "attestations": atts})
]})

cfg := fx.with_rules({"signers": {"allowed": [{"owner": "acme", "repo": "agent-signing", "workflow": ".github/workflows/agent.yml", "runner": "github-hosted"}]}})

decide(inp, config) := d if {
	d := pull_request.decision with input as inp with data.config as config
}

rules(findings) := {f.rule | some f in findings}

test_allowed_workflow_signer_passes if {
	d := decide(with_attestations([att(agent)]), cfg)
	count(d.deny) == 0
	count(d.warn) == 0
}

test_only_a_stranger_denies_by_signers_naming_it if {
	d := decide(with_attestations([att(stranger)]), cfg)
	rules(d.deny) == {"signers"}
	some f in d.deny
	contains(f.msg, "https://github.com/mallory/agents/")
	f.details.commits == [fx.first, fx.head]
}

test_self_hosted_signature_refused if {
	d := decide(with_attestations([att(self_hosted)]), cfg)
	rules(d.deny) == {"signers"}
	some f in d.deny
	contains(f.msg, "(issuer `https://token.actions.githubusercontent.com`, on a self-hosted runner)")
}

test_stranger_beside_the_agent_is_a_warning_only if {
	for_first := decide(with_attestations([att(stranger), att(agent)]), cfg)
	count(for_first.deny) == 0
	rules(for_first.warn) == {"signers"}
	for_last := decide(with_attestations([att(agent), att(stranger)]), cfg)
	count(for_last.deny) == 0
	some w in for_last.warn
	w.severity == "low"
	contains(w.msg, "was ignored")
}

test_rules_read_only_the_allowed_provenance if {
	# the stranger's statement names an unlisted model and a secret prompt: ignored
	bad := object.union(att(stranger), {"model": {"id": "evil/x"}, "models": [{"id": "evil/x", "role": "agent"}], "prompt": {"contains_secrets": true}})
	d := decide(with_attestations([bad, att(agent)]), cfg)
	count(d.deny) == 0
}

test_a_strangers_prompter_does_not_exclude_an_approver if {
	# bob approved; a stranger's bundle names bob as prompter: his approval still counts
	bob_prompted := object.union(att(stranger), {"prompter": {"login": "bob", "id": 1002}})
	d := decide(with_attestations([bob_prompted, att(agent)]), cfg)
	not "human-approval" in rules(d.deny)

	# the allowed provenance naming bob does exclude him
	allowed_bob := object.union(att(agent), {"prompter": {"login": "bob", "id": 1002}})
	"human-approval" in rules(decide(with_attestations([allowed_bob]), cfg).deny)
}

# A re-attested commit carries several allowed statements, in the order the PR body's editor chose: each is judged.
test_every_allowed_attestation_is_judged_in_either_order if {
	unlisted := object.union(att(agent), {"model": {"id": "evil/x"}, "models": [{"id": "evil/x", "role": "agent"}]})
	rules(decide(with_attestations([unlisted, att(agent)]), cfg).deny) == {"model-governance"}
	rules(decide(with_attestations([att(agent), unlisted]), cfg).deny) == {"model-governance"}

	# a commit two statements name the model is listed once
	some f in decide(with_attestations([unlisted, unlisted]), cfg).deny
	f.details.commits == [fx.first, fx.head]

	secret := object.union(att(agent), {"prompt": {"digest": fx.provenance.prompt.digest, "contains_secrets": true}})
	rules(decide(with_attestations([att(agent), secret]), cfg).deny) == {"prompt"}

	no_digest := object.union(object.remove(att(agent), ["prompt"]), {"prompt": {}})
	rules(decide(with_attestations([att(agent), no_digest]), cfg).deny) == {"prompt"}

	allowed_bob := object.union(att(agent), {"prompter": {"login": "bob", "id": 1002}})
	"human-approval" in rules(decide(with_attestations([att(agent), allowed_bob]), cfg).deny)
	"human-approval" in rules(decide(with_attestations([allowed_bob, att(agent)]), cfg).deny)
}

test_signed_requester_excluded if {
	by_login := object.union(att(agent), {"requested_by": {"login": "BOB"}})
	"human-approval" in rules(decide(with_attestations([by_login]), cfg).deny)
}

test_no_attestation_is_coverage_not_signers if {
	inp := object.union(fx.pr, {"commits": [object.union(object.remove(c, ["provenance"]), {"provenance": {"status": "missing"}, "attestations": []}) | some c in fx.pr.commits]})
	rules(decide(inp, cfg).deny) == {"provenance-coverage"}
}

test_signers_off_accepts_any_certified_signer if {
	off := fx.with_rules({"signers": {"enabled": false, "allowed": []}})
	count(decide(with_attestations([att(stranger)]), off).deny) == 0
}

test_repository_entries_by_name_case_insensitively if {
	per_repo := fx.with_rules({"signers": {"allowed": [], "repositories": {"ACME/Web": [{"owner": "acme"}]}}})
	count(decide(with_attestations([att(agent)]), per_repo).deny) == 0
	other := fx.with_rules({"signers": {"allowed": [{"owner": "acme"}], "repositories": {"acme/other": [{"owner": "nobody"}]}}})
	count(decide(with_attestations([att(agent)]), other).deny) == 0
}

# Deployments: the environment's signers match the same way.
dep_with(signers) := object.union(fx.deployment, {"artifacts": [object.union(fx.deployment.artifacts[0], {"attestations": [object.union(fx.deployment.artifacts[0].attestations[0], {"signer": s}) | some s in signers]})]})

dep_cfg := object.union(fx.deploy_config, {"deployments": {"default": {"signers": [{"owner": "acme", "workflow": ".github/workflows/agent.yml", "runner": "github-hosted"}]}}})

dep_decide(inp) := d if {
	d := deployment.decision with input as inp with data.config as dep_cfg
}

test_deployment_signer_by_workflow if {
	count(dep_decide(dep_with([agent])).deny) == 0
	"deployment-builders" in rules(dep_decide(dep_with([self_hosted])).deny)
	"deployment-builders" in rules(dep_decide(dep_with([stranger])).deny)
}

test_deployment_stranger_beside_allowed_warns if {
	d := dep_decide(dep_with([stranger, agent]))
	count(d.deny) == 0
	"deployment-builders" in rules(d.warn)
}

test_signer_named_as_far_as_known if {
	no_issuer := decide(with_attestations([att({"type": "certificate", "identity": "https://example.com/x", "extensions": {}})]), cfg)
	some f in no_issuer.deny
	contains(f.msg, "provenance signed by `https://example.com/x` is not")
	unnamed := decide(with_attestations([att({"type": "certificate", "extensions": {}})]), cfg)
	some g in unnamed.deny
	contains(g.msg, "provenance signed by an unnamed signer is not")
}

# A branch named dev@refs/heads/main: signer-facts.ts reads the ref after the first "@" following the workflow file,
# so its facts name that branch, and a refs restriction to main does not match it. An identity that is not exactly
# a workflow URL carries no workflow facts, and no owner entry matches it.
test_ref_with_at_is_its_own_branch if {
	dev_at_main := wf("acme", "agents", ".github/workflows/agent.yml", "refs/heads/dev@refs/heads/main", "github-hosted")
	dev_at_main.identity == "https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/dev@refs/heads/main"
	not ok({"owner": "acme", "repo": "agents", "refs": ["refs/heads/main"]}, dev_at_main)
	ok({"owner": "acme", "repo": "agents", "refs": ["refs/heads/dev@refs/heads/main"]}, dev_at_main)
	unparsed := object.remove(dev_at_main, ["workflow"])
	not ok({"owner": "acme"}, unparsed)
	not ok({"owner": "acme", "repo": "agents", "refs": ["refs/heads/main"]}, unparsed)
}
