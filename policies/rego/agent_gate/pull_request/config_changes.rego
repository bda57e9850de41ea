# Config changes (issue 18 item 2). A pull request that changes a config file (this repository's
# .github/agent-gate.yml, the organisation's, or a base other configs extend) carries input.config_change: the new
# files read from its head, whether they are valid, and the first problems with file, line and column. The pull
# request is judged by the default branch's config, never by the files it proposes; with
# require_valid_config_changes: true in that config, invalid new files fail the check, so a broken config cannot be
# merged to fail every pull request after it. An input that says the files changed but not whether they are valid
# counts as invalid (fail closed).
package agent_gate.pull_request

import data.agent_gate.lib

_config_change := object.get(input, "config_change", null)

_config_change_invalid if {
	is_object(_config_change)
	not lib.value_at(_config_change, ["valid"], true)
}

_config_problem_lines := [line |
	some p in array.slice(object.get(_config_change, "problems", []), 0, 3)
	line := _config_problem_line(p)
]

_config_problem_line(p) := concat("", [p.file, ":", format_int(p.line, 10), ":", format_int(object.get(p, "column", 1), 10), ": ", p.message]) if is_number(p.line)

_config_problem_line(p) := concat("", [p.file, ": ", p.message]) if not is_number(object.get(p, "line", null))

_config_problems_text := concat("; ", _config_problem_lines) if count(_config_problem_lines) > 0

_config_problems_text := "the new files could not be checked" if count(_config_problem_lines) == 0

deny contains {
	"rule": "config-changes",
	"severity": "high",
	"msg": concat("", ["the pull request changes the agent-gate config and the new config is invalid: ", _config_problems_text]),
	"remediation": "fix the problems (each is an annotation at its line; agent-gate config validate FILE checks a file locally), then push again",
	"details": {"paths": object.get(_config_change, "files", []), "problems": count(object.get(_config_change, "problems", []))},
} if {
	lib.value_at(lib.config, ["require_valid_config_changes"], true)
	_config_change_invalid
}
