# Rule modes: enforce, warn and off per rule, shadow for the whole config; contract findings enforced regardless.
package agent_gate.pull_request_modes_test

import data.agent_gate.pull_request
import data.agent_gate.test.fixtures as fx

decide(inp, cfg) := d if {
	d := pull_request.decision with input as inp with data.config as cfg
}

rules_of(findings) := {f.rule | some f in findings}

too_big := fx.with_rules({"size": {"max_lines": 11}})

test_enforce_is_the_default if {
	d := decide(fx.pr, too_big)
	rules_of(d.deny) == {"size"}
	count(d.would_deny) == 0
	{"section": "size", "mode": "enforce"} in d.modes.rules
	d.modes.config == "enforce"
}

test_explicit_enforce_denies if {
	d := decide(fx.pr, fx.with_rules({"size": {"max_lines": 11, "mode": "enforce"}}))
	rules_of(d.deny) == {"size"}
}

test_warn_mode_reports_without_denying if {
	d := decide(fx.pr, fx.with_rules({"size": {"max_lines": 11, "mode": "warn"}}))
	count(d.deny) == 0
	rules_of(d.would_deny) == {"size"}
	{"section": "size", "mode": "warn"} in d.modes.rules
	{"section": "signers", "mode": "enforce"} in d.modes.rules
}

test_warn_mode_keeps_other_rules_enforced if {
	cfg := fx.with_rules({"size": {"max_lines": 11, "mode": "warn"}, "human_approval": {"count": 5}})
	d := decide(fx.pr, cfg)
	rules_of(d.deny) == {"human-approval"}
	rules_of(d.would_deny) == {"size"}
}

test_off_mode_skips_the_rule if {
	d := decide(fx.pr, fx.with_rules({"size": {"max_lines": 11, "mode": "off"}}))
	count(d.deny) == 0
	count(d.would_deny) == 0
	{"section": "size", "mode": "off"} in d.modes.rules
}

test_enabled_false_is_off if {
	d := decide(fx.pr, fx.with_rules({"size": {"max_lines": 11, "enabled": false, "mode": "warn"}}))
	count(d.deny) == 0
	count(d.would_deny) == 0
	{"section": "size", "mode": "off"} in d.modes.rules
}

test_signers_off_accepts_any_certified_signer if {
	d := decide(fx.pr, object.union(data.config, {"rules": {"signers": {"mode": "off"}}}))
	not "signers" in rules_of(d.deny)
}

test_unknown_mode_enforces if {
	d := decide(fx.pr, fx.with_rules({"size": {"max_lines": 11, "mode": "audit"}}))
	rules_of(d.deny) == {"size"}
	{"section": "size", "mode": "enforce"} in d.modes.rules
}

test_shadow_never_denies_a_rule if {
	cfg := object.union(too_big, {"mode": "shadow", "rules": {"human_approval": {"count": 5}}})
	d := decide(fx.pr, cfg)
	count(d.deny) == 0
	rules_of(d.would_deny) == {"size", "human-approval"}
	d.modes.config == "shadow"
}

test_shadow_still_denies_a_broken_input if {
	d := decide(object.union(fx.pr, {"version": 2}), object.union(fx.config, {"mode": "shadow"}))
	"input" in rules_of(d.deny)
	not "input" in rules_of(d.would_deny)
}

test_warn_keeps_warnings_as_warnings if {
	d := decide(fx.pr, fx.config)
	count(d.warn) == 0
	count(d.would_deny) == 0
}

# The protected paths' path mode: path_mode, or the older `mode: deny | require-approval`.
_workflow_pr := object.union(fx.pr, {"files": [{"path": ".github/workflows/ci.yml", "status": "modified", "additions": 1, "deletions": 0, "agent_touched": true}]})

_path_denial(cfg) := [f.details.mode |
	some f in decide(_workflow_pr, cfg).deny
	f.rule == "protected-paths"
]

test_path_mode_spellings if {
	_path_denial(fx.with_rules({"protected_paths": {"path_mode": "deny", "mode": "enforce"}})) == ["deny"]
	_path_denial(fx.with_rules({"protected_paths": {"mode": "deny"}})) == ["deny"]
	_path_denial(fx.with_rules({"protected_paths": {"mode": "enforce", "path_mode": "require-approval", "approvals": 3}})) == ["require-approval"]
}

test_protected_paths_in_warn_mode if {
	d := decide(_workflow_pr, fx.with_rules({"protected_paths": {"path_mode": "deny", "mode": "warn"}}))
	not "protected-paths" in rules_of(d.deny)
	"protected-paths" in rules_of(d.would_deny)
}
