# Rule 9 (issue 18 item 4): required checks. An agent's pull request passes only when every check that
# rules.required_checks names concluded success on its exact head commit. The host reads the head's check runs
# (every App's, re-runs included, agent-gate's own left out) into input.checks, with whether the list is whole; the
# latest run (largest id) of each name and App counts. An entry may name the App that must have written the run
# (app: slug, app_id: id); one that names none counts every App's latest run of that name, each of which must pass
# (anyone with checks: write can add a run of any name: it can only hold the pull request back, never pass it).
# A missing, queued or running check holds the pull request ("waiting for required check ..."); a failed one denies;
# a list that is not whole, or read on another commit, denies. Human pull requests are not held by this rule.
package agent_gate.pull_request

import data.agent_gate.lib

_rc := object.get(rules, "required_checks", {})

_rc_required := [_rc_entry(e) | some e in object.get(_rc, "checks", [])]

_rc_entry(e) := {"name": e} if is_string(e)

_rc_entry(e) := e if is_object(e)

_judged_checks if {
	agent_pr
	enabled("required_checks")
	count(_rc_required) > 0
}

_rc_checks := object.get(input, "checks", null)

# 1. The list itself: read, on this head, whole.
deny contains {
	"rule": "required-checks",
	"severity": "high",
	"msg": "the head commit's check runs were not read, so required checks cannot be judged",
	"remediation": "re-run agent-gate (an agent-gate that reads check runs passes them in input.checks)",
	"details": {"head_sha": head_sha},
} if {
	_judged_checks
	not is_object(_rc_checks)
}

deny contains {
	"rule": "required-checks",
	"severity": "high",
	"msg": concat("", ["the check runs were read on commit ", lib.short(_rc_checks.head_sha), ", not on the head commit ", lib.short(head_sha)]),
	"remediation": "re-run agent-gate on the head commit",
	"details": {"head_sha": head_sha, "checks_sha": _rc_checks.head_sha},
} if {
	_judged_checks
	is_object(_rc_checks)
	_rc_checks.head_sha != head_sha
}

deny contains {
	"rule": "required-checks",
	"severity": "high",
	"msg": concat("", ["too many check runs on the head commit to evaluate: ", _rc_why_incomplete, "; agent-gate cannot judge required checks it cannot see"]),
	"remediation": "push a new commit (its check runs start afresh), then re-run agent-gate",
	"details": {"listed": object.get(_rc_checks, "listed", null), "reported": object.get(_rc_checks, "reported", null), "limit": object.get(_rc_checks, "limit", null)},
} if {
	_judged_checks
	is_object(_rc_checks)
	_rc_checks.complete != true
}

_rc_why_incomplete := concat("", ["GitHub listed ", format_int(_rc_checks.listed, 10), " of the ", format_int(_rc_checks.reported, 10), " it counts (agent-gate reads at most ", format_int(_rc_checks.limit, 10), ")"]) if {
	is_number(_rc_checks.reported)
} else := concat("", ["agent-gate reads at most ", format_int(_rc_checks.limit, 10)]) if {
	is_number(_rc_checks.limit)
} else := "the list is not whole"

_checks_usable if {
	_judged_checks
	_rc_checks.head_sha == head_sha
	_rc_checks.complete == true
}

# 2. The latest run of each name and App: a re-run replaces the run before it. Grouped by key in one pass (a
# partial rule), so the work grows with the number of runs, not its square.
_rc_app_id_text(r) := format_int(r.app.id, 10) if is_number(object.get(r, ["app", "id"], null))

_rc_app_id_text(r) := "-" if not is_number(object.get(r, ["app", "id"], null))

_rc_run_ids[k] contains r.id if {
	_checks_usable
	some r in _rc_checks.runs
	k := concat(":", [_rc_app_id_text(r), r.name])
}

_rc_latest_ids := {max(ids) | some ids in _rc_run_ids}

_rc_latest_runs := [r |
	some r in _rc_checks.runs
	_rc_latest_ids[r.id]
]

_rc_app_matches(e, _) if not lib.has_key(e, "app")

_rc_app_matches(e, r) if lib.value_at(r, ["app", "slug"], e.app)

_rc_app_id_matches(e, _) if not lib.has_key(e, "app_id")

_rc_app_id_matches(e, r) if lib.value_at(r, ["app", "id"], e.app_id)

# Indexed by name once: each required check looks its runs up instead of scanning them all.
_rc_latest_by_name[r.name] contains r if some r in _rc_latest_runs

_rc_runs_for(e) := [r |
	some r in _rc_latest_by_name[e.name]
	_rc_app_matches(e, r)
	_rc_app_id_matches(e, r)
]

_rc_who(e) := concat("", [" from ", e.app]) if is_string(object.get(e, "app", null))

_rc_who(e) := concat("", [" from App ", format_int(e.app_id, 10)]) if {
	not is_string(object.get(e, "app", null))
	is_number(object.get(e, "app_id", null))
}

_rc_who(e) := "" if {
	not is_string(object.get(e, "app", null))
	not is_number(object.get(e, "app_id", null))
}

_rc_status_text(s) := "in progress" if s == "in_progress"

_rc_status_text(s) := s if s != "in_progress"

_rc_app_of(r) := object.get(r, "app", null)

# 3. Each required check: missing, still running, or failed.
deny contains {
	"rule": "required-checks",
	"severity": "high",
	"msg": concat("", ["waiting for required check `", e.name, "`", _rc_who(e), " (not started on the head commit)"]),
	"remediation": "wait for the check to run; if it never starts, compare its name (and app) in rules.required_checks with the check runs on the head commit",
	"details": {"check": e.name, "state": "pending", "status": null, "app": object.get(e, "app", null), "app_id": object.get(e, "app_id", null)},
} if {
	_checks_usable
	some e in _rc_required
	count(_rc_runs_for(e)) == 0
}

deny contains {
	"rule": "required-checks",
	"severity": "high",
	"msg": concat("", ["waiting for required check `", e.name, "`", _rc_who(e), " (", _rc_status_text(r.status), ")"]),
	"remediation": "wait for the check to complete; agent-gate evaluates again when it does",
	"details": {"check": e.name, "state": "pending", "status": r.status, "run_id": r.id, "app": _rc_app_of(r)},
} if {
	_checks_usable
	some e in _rc_required
	some r in _rc_runs_for(e)
	r.status != "completed"
}

deny contains {
	"rule": "required-checks",
	"severity": "high",
	"msg": concat("", ["required check `", e.name, "`", _rc_who(e), " concluded ", _rc_conclusion(r)]),
	"remediation": "fix what the check reports and push, or re-run it; agent-gate evaluates again when it completes",
	"details": {"check": e.name, "state": "failed", "conclusion": object.get(r, "conclusion", null), "run_id": r.id, "app": _rc_app_of(r)},
} if {
	_checks_usable
	some e in _rc_required
	some r in _rc_runs_for(e)
	r.status == "completed"
	object.get(r, "conclusion", null) != "success"
}

_rc_conclusion(r) := r.conclusion if is_string(r.conclusion)

_rc_conclusion(r) := "with no conclusion" if not is_string(r.conclusion)

# 4. The files that define the required checks: an agent changing one needs a person's approval on the head commit
# (rules.required_checks.approvals, default 1), in this rule's own mode, whether or not the protected-paths rule is on
# (paths.rego matches these patterns with its own, tagged "required-checks"). Where the protected-paths rule already
# says as much about the path (it denies it, or demands as many approvals, and is enforced or held as this rule is),
# its finding stands alone rather than twice.
default required_check_definitions := []

required_check_definitions := array.concat([".github/workflows/**"], object.get(_rc, "defined_in", [])) if {
	count(_rc_required) > 0
	rule_mode("required_checks") != "off"
}

_rc_approvals := object.get(_rc, "approvals", 1)

_rc_definition_paths contains h.path if {
	some h in _hits
	h.mode == "required-checks"
}

_rc_definition_patterns[h.path] contains h.pattern if {
	some h in _hits
	h.mode == "required-checks"
}

_rc_said_as_strictly if rule_mode("protected_paths") == "enforce"

_rc_said_as_strictly if rule_mode("protected_paths") == rule_mode("required_checks")

_rc_said_by_protected_paths(path) if {
	_rc_said_as_strictly
	_denied_paths[path]
}

_rc_said_by_protected_paths(path) if {
	_rc_said_as_strictly
	_approval_paths[path]
	_path_approvals_needed >= _rc_approvals
}

deny contains {
	"rule": "required-checks",
	"severity": "high",
	"msg": concat("", [
		"the agent changed `", path, "`, which defines required checks; it needs ", format_int(_rc_approvals, 10), " ",
		lib.plural(_rc_approvals, "approval"), " on the head commit (has ", format_int(count(lib.approvers), 10), ")",
	]),
	"remediation": concat("", ["approval on the head commit from ", lib.approver_hint, " (a change to what the required checks run could make them pass)"]),
	"details": {
		"path": path, "patterns": sort(_rc_definition_patterns[path]), "state": "approval",
		"required": _rc_approvals, "approvers": sort(lib.approvers),
	},
} if {
	some path in _rc_definition_paths
	count(lib.approvers) < _rc_approvals
	not _rc_said_by_protected_paths(path)
}
