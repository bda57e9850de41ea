# Required checks: an agent PR waits for the named checks on its exact head; the latest run per name and App counts;
# a run of another App never stands in for the named one; an incomplete list or one read elsewhere denies.
package agent_gate.pull_request_required_checks_test

import data.agent_gate.pull_request
import data.agent_gate.test.fixtures as fx

decide(inp, cfg) := d if {
	d := pull_request.decision with input as inp with data.config as cfg
}

actions := {"id": 15368, "slug": "github-actions"}

forger := {"id": 999, "slug": "evil-app"}

run(id, name, status, conclusion, app) := {"id": id, "name": name, "status": status, "conclusion": conclusion, "app": app}

checks(runs) := {"head_sha": fx.head, "complete": true, "listed": count(runs), "reported": count(runs), "limit": 1000, "runs": runs}

with_checks(runs) := object.union(fx.pr, {"checks": checks(runs)})

requiring(entries) := fx.with_rules({"required_checks": {"checks": entries}})

tests_from_actions := requiring([{"name": "tests", "app": "github-actions"}])

msgs(d) := {f.msg | some f in d.deny}

required(d) := [f | some f in d.deny; f.rule == "required-checks"]

test_success_on_the_head_passes if {
	d := decide(with_checks([run(10, "tests", "completed", "success", actions)]), tests_from_actions)
	count(d.deny) == 0
}

test_in_progress_waits if {
	d := decide(with_checks([run(10, "tests", "in_progress", null, actions)]), tests_from_actions)
	msgs(d) == {"waiting for required check `tests` from github-actions (in progress)"}
	[f] := required(d)
	f.details.state == "pending"
}

test_queued_waits if {
	d := decide(with_checks([run(10, "tests", "queued", null, actions)]), tests_from_actions)
	msgs(d) == {"waiting for required check `tests` from github-actions (queued)"}
}

test_missing_waits if {
	d := decide(with_checks([run(10, "lint", "completed", "success", actions)]), tests_from_actions)
	msgs(d) == {"waiting for required check `tests` from github-actions (not started on the head commit)"}
	[f] := required(d)
	f.details.state == "pending"
}

test_failure_denies if {
	d := decide(with_checks([run(10, "tests", "completed", "failure", actions)]), tests_from_actions)
	msgs(d) == {"required check `tests` from github-actions concluded failure"}
	[f] := required(d)
	f.details.state == "failed"
}

test_neutral_and_skipped_are_not_success if {
	d1 := decide(with_checks([run(10, "tests", "completed", "neutral", actions)]), tests_from_actions)
	msgs(d1) == {"required check `tests` from github-actions concluded neutral"}
	d2 := decide(with_checks([run(10, "tests", "completed", "skipped", actions)]), tests_from_actions)
	msgs(d2) == {"required check `tests` from github-actions concluded skipped"}
}

test_a_rerun_replaces_the_failed_run if {
	d := decide(with_checks([run(11, "tests", "completed", "success", actions), run(10, "tests", "completed", "failure", actions)]), tests_from_actions)
	count(d.deny) == 0
}

test_a_failed_rerun_replaces_the_passed_run if {
	d := decide(with_checks([run(10, "tests", "completed", "success", actions), run(11, "tests", "completed", "failure", actions)]), tests_from_actions)
	msgs(d) == {"required check `tests` from github-actions concluded failure"}
}

test_a_running_rerun_waits if {
	d := decide(with_checks([run(10, "tests", "completed", "success", actions), run(11, "tests", "in_progress", null, actions)]), tests_from_actions)
	msgs(d) == {"waiting for required check `tests` from github-actions (in progress)"}
}

# Anyone with checks: write can create a run named "tests": it never passes the check an App is named for.
test_a_forged_success_from_another_app_does_not_count if {
	d := decide(with_checks([run(12, "tests", "completed", "success", forger), run(10, "tests", "in_progress", null, actions)]), tests_from_actions)
	msgs(d) == {"waiting for required check `tests` from github-actions (in progress)"}
	d2 := decide(with_checks([run(12, "tests", "completed", "success", forger)]), tests_from_actions)
	msgs(d2) == {"waiting for required check `tests` from github-actions (not started on the head commit)"}
}

test_app_id_must_match_too if {
	cfg := requiring([{"name": "tests", "app": "github-actions", "app_id": 15368}])
	count(decide(with_checks([run(10, "tests", "completed", "success", actions)]), cfg).deny) == 0
	impostor := {"id": 7, "slug": "github-actions"}
	msgs(decide(with_checks([run(10, "tests", "completed", "success", impostor)]), cfg)) == {"waiting for required check `tests` from github-actions (not started on the head commit)"}
	by_id := requiring([{"name": "tests", "app_id": 15368}])
	msgs(decide(with_checks([run(10, "tests", "completed", "success", impostor)]), by_id)) == {"waiting for required check `tests` from App 15368 (not started on the head commit)"}
}

# A name alone: every App's latest run of that name must pass, so another App's run can only hold the PR back.
test_a_name_alone_needs_every_apps_latest_run_to_pass if {
	cfg := requiring(["tests"])
	count(decide(with_checks([run(10, "tests", "completed", "success", actions)]), cfg).deny) == 0
	d := decide(with_checks([run(10, "tests", "completed", "success", actions), run(12, "tests", "completed", "failure", forger)]), cfg)
	msgs(d) == {"required check `tests` concluded failure"}
	d2 := decide(with_checks([run(10, "tests", "completed", "success", actions), run(12, "tests", "completed", "success", run_without_app.app)]), cfg)
	count(d2.deny) == 0
}

run_without_app := {"app": null}

test_a_run_without_an_app_never_matches_a_named_app if {
	d := decide(with_checks([run(10, "tests", "completed", "success", null)]), tests_from_actions)
	msgs(d) == {"waiting for required check `tests` from github-actions (not started on the head commit)"}
}

test_several_checks_each_reported if {
	cfg := requiring([{"name": "tests", "app": "github-actions"}, {"name": "lint", "app": "github-actions"}])
	d := decide(with_checks([run(10, "tests", "in_progress", null, actions), run(11, "lint", "completed", "failure", actions)]), cfg)
	msgs(d) == {"waiting for required check `tests` from github-actions (in progress)", "required check `lint` from github-actions concluded failure"}
}

test_an_incomplete_list_denies if {
	inp := object.union(fx.pr, {"checks": object.union(checks([run(10, "tests", "completed", "success", actions)]), {"complete": false, "listed": 1000, "reported": 1500})})
	d := decide(inp, tests_from_actions)
	msgs(d) == {"too many check runs on the head commit to evaluate: GitHub listed 1000 of the 1500 it counts (agent-gate reads at most 1000); agent-gate cannot judge required checks it cannot see"}
}

test_an_incomplete_list_without_a_count_denies if {
	inp := object.union(fx.pr, {"checks": object.remove(object.union(checks([]), {"complete": false}), ["reported"])})
	msgs(decide(inp, tests_from_actions)) == {"too many check runs on the head commit to evaluate: agent-gate reads at most 1000; agent-gate cannot judge required checks it cannot see"}
	bare := object.union(fx.pr, {"checks": {"head_sha": fx.head, "complete": false, "runs": []}})
	msgs(decide(bare, tests_from_actions)) == {"too many check runs on the head commit to evaluate: the list is not whole; agent-gate cannot judge required checks it cannot see"}
}

test_checks_read_on_another_commit_deny if {
	inp := object.union(fx.pr, {"checks": object.union(checks([run(10, "tests", "completed", "success", actions)]), {"head_sha": fx.first})})
	msgs(decide(inp, tests_from_actions)) == {"the check runs were read on commit 1111111, not on the head commit 2222222"}
}

test_checks_not_read_deny if {
	msgs(decide(fx.pr, tests_from_actions)) == {"the head commit's check runs were not read, so required checks cannot be judged"}
}

test_human_prs_are_not_held if {
	human := object.union(with_checks([run(10, "tests", "in_progress", null, actions)]), {"agent": {"detected": false, "reasons": [], "accounts": []}, "commits": [object.union(fx.agent_commit(fx.head), {"is_agent": false, "provenance": {"status": "missing"}})]})
	count(required(decide(human, tests_from_actions))) == 0
}

test_no_required_checks_reads_nothing if {
	count(decide(fx.pr, fx.config).deny) == 0
}

test_warn_mode_holds_back if {
	cfg := fx.with_rules({"required_checks": {"checks": [{"name": "tests", "app": "github-actions"}], "mode": "warn"}})
	d := decide(with_checks([run(10, "tests", "in_progress", null, actions)]), cfg)
	count(d.deny) == 0
	{f.msg | some f in d.would_deny} == {"waiting for required check `tests` from github-actions (in progress)"}
}

test_off_mode_skips if {
	cfg := fx.with_rules({"required_checks": {"checks": [{"name": "tests", "app": "github-actions"}], "mode": "off"}})
	count(decide(fx.pr, cfg).deny) == 0
}

# The files defining the checks need a person's approval in the required-checks rule's own mode, even where
# protected_paths lists none of them or is off.
defines_checks(path) := object.union(with_checks([run(10, "tests", "completed", "success", actions)]), {
	"files": [{"path": path, "status": "modified", "additions": 1, "deletions": 1, "agent_touched": true}],
	"reviews": [],
})

bare_paths(rc) := fx.with_rules({"human_approval": {"count": 0}, "protected_paths": {"paths": ["infra/**"]}, "required_checks": rc})

test_changing_a_workflow_that_defines_checks_needs_approval if {
	d := decide(defines_checks(".github/workflows/ci.yml"), bare_paths({"checks": [{"name": "tests", "app": "github-actions"}]}))
	msgs(d) == {"the agent changed `.github/workflows/ci.yml`, which defines required checks; it needs 1 approval on the head commit (has 0)"}
	[f] := required(d)
	f.details == {"path": ".github/workflows/ci.yml", "patterns": [".github/workflows/**"], "state": "approval", "required": 1, "approvers": []}
	approved := object.union(defines_checks(".github/workflows/ci.yml"), {"reviews": [fx.review("bob", 1002, "APPROVED", fx.head, "2026-11-26T06:30:00Z")]})
	count(decide(approved, bare_paths({"checks": [{"name": "tests", "app": "github-actions"}]})).deny) == 0
}

test_defined_in_globs_need_approval_too if {
	d := decide(defines_checks("ci/pipeline.yml"), bare_paths({"checks": ["tests"], "defined_in": ["ci/**"]}))
	msgs(d) == {"the agent changed `ci/pipeline.yml`, which defines required checks; it needs 1 approval on the head commit (has 0)"}
}

test_without_required_checks_workflows_are_only_what_protected_paths_says if {
	count(decide(defines_checks(".github/workflows/ci.yml"), bare_paths({"checks": []})).deny) == 0
	count(decide(defines_checks(".github/workflows/ci.yml"), bare_paths({"checks": ["tests"], "mode": "off"})).deny) == 0
}

test_a_denied_path_stays_denied if {
	cfg := fx.with_rules({"human_approval": {"count": 0}, "protected_paths": {"paths": [{"pattern": ".github/workflows/**", "mode": "deny"}]}, "required_checks": {"checks": ["tests"]}})
	d := decide(defines_checks(".github/workflows/ci.yml"), cfg)
	msgs(d) == {"the agent changed `.github/workflows/ci.yml`, which agents may not change"}
}

test_completed_without_a_conclusion_denies if {
	d := decide(with_checks([run(10, "tests", "completed", null, actions)]), tests_from_actions)
	msgs(d) == {"required check `tests` from github-actions concluded with no conclusion"}
}

workflow_change := defines_checks(".github/workflows/ci.yml")

approved_by_bob(inp) := object.union(inp, {"reviews": [fx.review("bob", 1002, "APPROVED", fx.head, "2026-11-26T06:30:00Z")]})

rc_msg := "the agent changed `.github/workflows/ci.yml`, which defines required checks; it needs 1 approval on the head commit (has 0)"

pp_msg := "the agent changed `.github/workflows/ci.yml`, which needs 1 approval on the head commit (has 0)"

test_protected_paths_off_still_demands_approval_for_check_definitions if {
	cfg := fx.with_rules({"human_approval": {"count": 0}, "protected_paths": {"enabled": false}, "required_checks": {"checks": ["tests"]}})
	d := decide(workflow_change, cfg)
	msgs(d) == {rc_msg}
	count(d.would_deny) == 0
	count(decide(approved_by_bob(workflow_change), cfg).deny) == 0
	off_by_mode := fx.with_rules({"human_approval": {"count": 0}, "protected_paths": {"mode": "off"}, "required_checks": {"checks": ["tests"]}})
	msgs(decide(workflow_change, off_by_mode)) == {rc_msg}
}

test_protected_paths_warn_does_not_soften_required_checks if {
	cfg := fx.with_rules({"human_approval": {"count": 0}, "protected_paths": {"mode": "warn"}, "required_checks": {"checks": ["tests"]}})
	d := decide(workflow_change, cfg)
	msgs(d) == {rc_msg}
	{f.msg | some f in d.would_deny} == {pp_msg}
}

test_required_checks_warn_only_would_deny if {
	cfg := fx.with_rules({"human_approval": {"count": 0}, "protected_paths": {"enabled": false}, "required_checks": {"checks": ["tests"], "mode": "warn"}})
	d := decide(workflow_change, cfg)
	count(d.deny) == 0
	{f.msg | some f in d.would_deny} == {rc_msg}

	# With every other rule as it was, protected_paths keeps its own say (enforced) about the same path.
	pp := fx.with_rules({"human_approval": {"count": 0}, "required_checks": {"checks": ["tests"], "mode": "warn"}})
	msgs(decide(workflow_change, pp)) == {pp_msg}

	# Both held (warn): protected_paths' finding says it once.
	both := fx.with_rules({"human_approval": {"count": 0}, "protected_paths": {"mode": "warn"}, "required_checks": {"checks": ["tests"], "mode": "warn"}})
	d2 := decide(workflow_change, both)
	count(d2.deny) == 0
	{f.msg | some f in d2.would_deny} == {pp_msg}
}

test_protected_paths_saying_as_much_is_not_repeated if {
	# The default protected paths cover .github/workflows/** with 1 approval, enforced: one finding, the rule's own.
	cfg := fx.with_rules({"human_approval": {"count": 0}, "required_checks": {"checks": ["tests"]}})
	msgs(decide(workflow_change, cfg)) == {pp_msg}

	# More approvals for check definitions than protected_paths asks: with one, this rule still says so.
	two := fx.with_rules({"human_approval": {"count": 0}, "required_checks": {"checks": ["tests"], "approvals": 2}})
	msgs(decide(approved_by_bob(workflow_change), two)) == {"the agent changed `.github/workflows/ci.yml`, which defines required checks; it needs 2 approvals on the head commit (has 1)"}
}

test_human_prs_changing_definitions_are_not_held if {
	cfg := fx.with_rules({"human_approval": {"count": 0}, "protected_paths": {"enabled": false}, "required_checks": {"checks": ["tests"]}})
	human := object.union(workflow_change, {"agent": {"detected": false}})
	count([f | some f in decide(human, cfg).deny; f.rule == "required-checks"]) == 0
}
