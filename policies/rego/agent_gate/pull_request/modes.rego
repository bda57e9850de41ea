# Rule modes (issue 18): each rule of rules.<section> runs in mode enforce, warn or off (`enabled: false` is the
# older spelling of off), and the whole config may run in `mode: shadow`. Every rule still computes its findings
# into `deny`; here they are split: an enforce-mode rule's denials stay in the decision's `deny` (the check fails),
# a warn-mode rule's, and every rule's under shadow, go to `would_deny` (reported as what would block, never a
# failure). Findings of no configurable rule (the input and config contract) are always enforced, in shadow mode
# too: a decision built on a broken contract is an error, and errors fail closed.
package agent_gate.pull_request

import data.agent_gate.lib

# The finding's rule name -> the config section that switches it.
rule_sections := {
	"provenance-coverage": "provenance_coverage",
	"signers": "signers",
	"model-governance": "model_governance",
	"prompt": "prompt",
	"protected-paths": "protected_paths",
	"human-approval": "human_approval",
	"completeness": "completeness",
	"size": "size",
	"required-checks": "required_checks",
	"config-changes": "config_changes",
}

_modes := {"enforce", "warn", "off"}

# A section's mode: off when switched off either way, else its mode, else enforce (an unknown mode enforces).
rule_mode(section) := "off" if {
	lib.value_at(rules, [section, "enabled"], false)
} else := m if {
	m := rules[section].mode
	_modes[m]
} else := "enforce"

shadow if lib.value_at(lib.config, ["mode"], "shadow")

_held(f) if rule_mode(rule_sections[f.rule]) == "warn"

_held(f) if {
	shadow
	rule_sections[f.rule]
}

enforced_deny := {f |
	some f in deny
	not _held(f)
}

would_deny := {f |
	some f in deny
	_held(f)
}

# Recorded with every decision (the audit record keeps the result): the mode each configured rule ran in, as a list
# sorted by section (section names as values, never keys: the audit log masks any value under a key named prompt).
modes := {
	"config": object.get(lib.config, "mode", "enforce"),
	"rules": [{"section": s, "mode": rule_mode(s)} |
		some s in sort(object.keys(object.get(lib.config, "rules", {})))
		is_object(rules[s])
	],
}
