# A rule in warn (or off, or the config in shadow mode) only stops that rule from blocking: every enforced rule judges
# every statement the decision rests on (lib.judged_attestations), and the organisation's revocation list is matched
# against every commit, whatever mode the repository's rules run in.
package agent_gate.mode_coupling_test

import data.agent_gate.pull_request
import data.agent_gate.test.fixtures as fx

decide(inp, cfg, rev) := d if {
	d := pull_request.decision with input as inp with data.config as cfg with data.revoked as rev
}

denied(inp, cfg) := fx.rules_of(decide(inp, cfg, {}).deny)

held(inp, cfg) := fx.rules_of(decide(inp, cfg, {}).would_deny)

# The repository allows only the successor of the agent workflow that signed fx.pr's statements.
successor := {"identity": "https://github.com/acme/agents/.github/workflows/agent-v2.yml@refs/heads/main", "issuer": fx.signer.issuer}

signers(mode) := fx.with_rules({"signers": {"mode": mode, "allowed": [successor]}})

shadow := object.union(signers("enforce"), {"mode": "shadow"})

# Both commits rest only on statements of a signer the repository does not allow.
stranger_pr(patch) := fx.with_provenance(fx.with_provenance(fx.pr, fx.first, patch), fx.head, patch)

unlisted_model := stranger_pr({"model": {"id": "acme/unlisted"}})

test_signers_in_warn_leaves_the_model_rule_enforced if {
	denied(unlisted_model, signers("warn")) == {"model-governance"}
	held(unlisted_model, signers("warn")) == {"signers"}

	# the same statement under an allowed signer: the same denial
	denied(fx.with_provenance(fx.with_provenance(fx.pr, fx.first, {"model": {"id": "acme/unlisted"}}), fx.head, {"model": {"id": "acme/unlisted"}}), fx.config) == {"model-governance"}
}

test_signers_enforced_and_the_model_rule_both_judge_the_statement if {
	denied(unlisted_model, signers("enforce")) == {"signers", "model-governance"}
}

test_shadow_reports_what_the_model_rule_would_deny if {
	denied(unlisted_model, shadow) == set()
	held(unlisted_model, shadow) == {"signers", "model-governance"}
}

test_signers_off_judges_every_statement if {
	denied(unlisted_model, signers("off")) == {"model-governance"}
}

test_signers_in_warn_leaves_the_prompt_rule_enforced if {
	secret := stranger_pr({"prompt": object.union(fx.provenance.prompt, {"contains_secrets": true})})
	denied(secret, signers("warn")) == {"prompt"}
	held(secret, shadow) == {"signers", "prompt"}
	no_digest := stranger_pr({"prompt": {"contains_secrets": false, "text_present": false}})
	denied(no_digest, signers("warn")) == {"prompt"}
}

# The prompter a statement names may not approve, when the commit rests on that statement, whatever the signers
# rule's mode; a stranger's statement beside an allowed one still excludes no one.
carol := {"login": "carol", "id": 1003}

carol_approves(inp) := object.union(inp, {"reviews": [fx.review("carol", 1003, "APPROVED", fx.head, "2026-11-26T06:30:00Z")]})

test_signers_in_warn_leaves_separation_of_duties_enforced if {
	inp := carol_approves(stranger_pr({"prompter": carol}))
	denied(inp, signers("warn")) == {"human-approval"}
	held(inp, shadow) == {"signers", "human-approval"}
	denied(inp, signers("off")) == {"human-approval"}
}

test_a_strangers_prompter_beside_an_allowed_statement_excludes_no_one if {
	stranger := object.union(fx.signer, {"identity": "https://github.com/evil/x/.github/workflows/a.yml@refs/heads/main"})
	st := object.union(object.remove(fx.provenance, ["status"]), {"tier": "sigstore", "signer": stranger, "prompter": carol, "model": {"id": "acme/unlisted"}})
	own := object.union(object.remove(fx.provenance, ["status"]), {"tier": "sigstore"})
	inp := carol_approves(object.union(fx.pr, {"commits": [object.union(object.remove(fx.agent_commit(sha), ["provenance"]), {
		"attestations": [own, st],
		"provenance": {"status": "attested"},
	}) |
		some sha in [fx.first, fx.head]
	]}))
	denied(inp, fx.config) == set()
	count(decide(inp, fx.config, {}).would_deny) == 0
}

# Coverage: a statement of a tier the agent does not accept is what the commit passes on with the coverage rule in
# warn or off; the model and signers rules judge it all the same.
sigstore_only(mode) := fx.with_rules({"provenance_coverage": {"mode": mode, "tiers": {"default": ["signed-commit"]}}})

test_coverage_in_warn_or_off_leaves_the_model_rule_enforced if {
	denied(unlisted_model, object.union(sigstore_only("enforce"), {"rules": {"signers": fx.config.rules.signers}})) == {"provenance-coverage", "model-governance"}
	every mode in ["warn", "off"] {
		cfg := object.union(sigstore_only(mode), {"rules": {"signers": fx.config.rules.signers}})
		denied(fx.with_provenance(fx.with_provenance(fx.pr, fx.first, {"model": {"id": "acme/unlisted"}}), fx.head, {"model": {"id": "acme/unlisted"}}), cfg) == {"model-governance"}
	}
}

test_coverage_in_warn_leaves_the_signers_rule_enforced if {
	cfg := object.union(sigstore_only("warn"), {"rules": {"signers": {"allowed": [successor]}}})
	denied(fx.pr, cfg) == {"signers"}
	held(fx.pr, cfg) == {"provenance-coverage"}
}

# Revocation under a list: commits GitHub did not list were never matched against it, so the pull request is denied
# `revoked`, whatever the completeness rule's mode and the config's.
rev := {"source": "acme/.github:.github/agent-gate-revocations.yml (default branch)", "models": [{"model": "acme/gone"}]}

truncated := object.union(fx.pr, {"completeness": {"commits": {"listed": 250, "reported": 300, "limit": 250, "truncated": true}}})

completeness(mode) := fx.with_rules({"completeness": {"mode": mode}})

revoked_msgs(inp, cfg, list) := {f.msg | some f in decide(inp, cfg, list).deny; f.rule == "revoked"}

test_unlisted_commits_deny_revoked_in_every_mode if {
	msg := "50 commits are past GitHub's list; revocation cannot be checked (GitHub lists at most 250 and this pull request has more; the list is acme/.github:.github/agent-gate-revocations.yml (default branch))"
	every cfg in [completeness("enforce"), completeness("warn"), completeness("off"), object.union(fx.config, {"mode": "shadow"})] {
		revoked_msgs(truncated, cfg, rev) == {msg}
	}
	fx.rules_of(decide(truncated, completeness("warn"), rev).deny) == {"revoked"}
	fx.rules_of(decide(truncated, completeness("enforce"), rev).deny) == {"revoked", "completeness"}
}

test_unlisted_commits_without_a_count_deny_revoked if {
	inp := object.union(fx.pr, {"completeness": {"commits": {"listed": 250, "limit": 250, "truncated": true}}})
	revoked_msgs(inp, completeness("off"), rev) == {"commits past the 250 GitHub listed are unknown; revocation cannot be checked (GitHub lists at most 250 and this pull request has more; the list is acme/.github:.github/agent-gate-revocations.yml (default branch))"}
}

test_unlisted_commits_without_a_list_or_when_all_are_listed_pass if {
	count(revoked_msgs(truncated, completeness("off"), {})) == 0
	count(revoked_msgs(truncated, completeness("off"), {"source": "x", "models": []})) == 0
	whole := object.union(fx.pr, {"completeness": {"commits": {"listed": 2, "reported": 2, "limit": 250, "truncated": false}}})
	count(revoked_msgs(whole, completeness("off"), rev)) == 0
}
