# Config changes: invalid new config files fail the check only where the default branch's config asks for it
# (require_valid_config_changes), and a config change whose validity is not stated counts as invalid.
package agent_gate.pull_request_config_changes_test

import data.agent_gate.pull_request
import data.agent_gate.test.fixtures as fx

decide(inp, cfg) := d if {
	d := pull_request.decision with input as inp with data.config as cfg
}

problem := {"file": ".github/agent-gate.yml", "line": 3, "column": 12, "message": "rules.human_approval.count: expected a whole number >= 0"}

invalid := object.union(fx.pr, {"config_change": {"files": [".github/agent-gate.yml"], "valid": false, "problems": [problem]}})

valid := object.union(fx.pr, {"config_change": {"files": [".github/agent-gate.yml"], "valid": true, "problems": []}})

requiring := object.union(fx.config, {"require_valid_config_changes": true})

findings(d) := [f | some f in d.deny; f.rule == "config-changes"]

test_invalid_config_fails_when_required if {
	d := decide(invalid, requiring)
	[f] := findings(d)
	f.msg == "the pull request changes the agent-gate config and the new config is invalid: .github/agent-gate.yml:3:12: rules.human_approval.count: expected a whole number >= 0"
	f.details.paths == [".github/agent-gate.yml"]
}

test_invalid_config_is_information_by_default if {
	count(findings(decide(invalid, fx.config))) == 0
	count(findings(decide(invalid, object.union(fx.config, {"require_valid_config_changes": false})))) == 0
}

test_valid_config_passes if {
	count(findings(decide(valid, requiring))) == 0
}

test_no_config_change_passes if {
	count(findings(decide(fx.pr, requiring))) == 0
}

test_validity_not_stated_counts_as_invalid if {
	inp := object.union(fx.pr, {"config_change": {"files": ["base.yml"], "problems": []}})
	[f] := findings(decide(inp, requiring))
	f.msg == "the pull request changes the agent-gate config and the new config is invalid: the new files could not be checked"
}

test_problem_without_line if {
	inp := object.union(fx.pr, {"config_change": {"files": ["base.yml"], "valid": false, "problems": [{"file": "base.yml", "message": "with this change the config of acme/app is invalid"}]}})
	[f] := findings(decide(inp, requiring))
	endswith(f.msg, "invalid: base.yml: with this change the config of acme/app is invalid")
}

test_shadow_mode_holds_it_back if {
	d := decide(invalid, object.union(requiring, {"mode": "shadow"}))
	count(findings(d)) == 0
	count([f | some f in d.would_deny; f.rule == "config-changes"]) == 1
}
