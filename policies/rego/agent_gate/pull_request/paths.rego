# Rules 5 and 7: protected paths an agent may not change (or only with approval), and size limits.
package agent_gate.pull_request

import data.agent_gate.lib

# 5. Protected paths. An entry is a glob ("/" is the separator, "**" crosses directories) or
# {pattern, mode}; a rename counts for its old path as well as its new one.
# An array, not a set: iterating a set of objects re-hashes every element at each step, in wasm above all.
_patterns := array.concat(
	[_pattern(p, rules.protected_paths.mode) |
		some p in rules.protected_paths.paths
		is_string(p)
	],
	[_pattern(e.pattern, object.get(e, "mode", rules.protected_paths.mode)) |
		some e in rules.protected_paths.paths
		is_object(e)
	],
)

_pattern(glob, mode) := {"pattern": glob, "mode": mode, "prefix": prefix, "kind": _glob_kind(glob, prefix)} if {
	prefix := _literal_prefix(glob)
}

# The text before a glob's first special character: a path can only match if it starts with it, and
# startswith is far cheaper than glob.match. Patterns with escapes get no prefix (always matched in full).
_literal_prefix(p) := split(split(split(split(p, "*")[0], "?")[0], "[")[0], "{")[0] if not contains(p, "\\")

_literal_prefix(p) := "" if contains(p, "\\")

# The two common shapes need no glob.match, which compiles a regular expression at every call in wasm:
# a glob without special characters matches only itself, and one that is its literal prefix followed by
# "**" (which crosses separators and may be empty) matches every path that starts with that prefix.
# (A glob with an escape has the prefix "", so it is neither.)
_glob_kind(glob, prefix) := "literal" if {
	glob == prefix
} else := "subtree" if {
	glob == concat("", [prefix, "**"])
} else := "glob"

# Whether the path matches the pattern, given that it starts with the pattern's literal prefix.
_matches(path, p) if {
	p.kind == "literal"
	path == p.pattern
}

_matches(_, p) if p.kind == "subtree"

_matches(path, p) if {
	p.kind == "glob"
	glob.match(p.pattern, ["/"], path)
}

# The paths an agent changed (a rename counts for its old path too), as an array: duplicates only repeat a hit.
_agent_paths := array.concat(
	[f.path | some f in input.files; f.agent_touched == true],
	[f.previous_path | some f in input.files; f.agent_touched == true; is_string(f.previous_path)],
)

_hits contains {"path": path, "pattern": p.pattern, "mode": p.mode} if {
	agent_pr
	enabled("protected_paths")
	some path in _agent_paths
	some p in _patterns
	startswith(path, p.prefix)
	_matches(path, p)
}

_denied_paths contains h.path if {
	some h in _hits
	h.mode == "deny"
}

_approval_paths contains h.path if {
	some h in _hits
	h.mode == "require-approval"
	not _denied_paths[h.path]
}

_patterns_for(path) := sort({h.pattern | some h in _hits; h.path == path})

deny contains {
	"rule": "protected-paths",
	"severity": "high",
	"msg": concat("", ["the agent changed `", path, "`, which agents may not change"]),
	"remediation": "have a human author this change in a separate pull request",
	"details": {"path": path, "patterns": _patterns_for(path), "mode": "deny"},
} if {
	some path in _denied_paths
}

_path_approvals_needed := rules.protected_paths.approvals

deny contains {
	"rule": "protected-paths",
	"severity": "high",
	"msg": concat("", [
		"the agent changed `", path, "`, which needs ", format_int(_path_approvals_needed, 10), " ",
		lib.plural(_path_approvals_needed, "approval"), " on the head commit (has ", format_int(count(lib.approvers), 10), ")",
	]),
	"remediation": concat("", ["approval on the head commit from ", lib.approver_hint]),
	"details": {
		"path": path, "patterns": _patterns_for(path), "mode": "require-approval",
		"required": _path_approvals_needed, "approvers": sort(lib.approvers),
	},
} if {
	some path in _approval_paths
	count(lib.approvers) < _path_approvals_needed
}

# 7. Size: files and changed lines an agent may touch in one pull request.
_agent_files := [f | some f in input.files; f.agent_touched == true]

# Two sums rather than one of per-file additions: every arithmetic operation is a decimal one in wasm.
_agent_lines := sum([f.additions | some f in _agent_files]) + sum([f.deletions | some f in _agent_files])

deny contains {
	"rule": "size",
	"severity": "medium",
	"msg": concat("", [
		"the agent changed ", format_int(count(_agent_files), 10), " files; the limit is ",
		format_int(rules.size.max_files, 10),
	]),
	"remediation": "split the work into smaller pull requests, or raise rules.size.max_files",
	"details": {"files": count(_agent_files), "max_files": rules.size.max_files},
} if {
	agent_pr
	enabled("size")
	count(_agent_files) > rules.size.max_files
}

deny contains {
	"rule": "size",
	"severity": "medium",
	"msg": concat("", [
		"the agent changed ", format_int(_agent_lines, 10), " lines; the limit is ",
		format_int(rules.size.max_lines, 10),
	]),
	"remediation": "split the work into smaller pull requests, or raise rules.size.max_lines",
	"details": {"lines": _agent_lines, "max_lines": rules.size.max_lines},
} if {
	agent_pr
	enabled("size")
	_agent_lines > rules.size.max_lines
}
