# Rules 5 and 7: protected paths an agent may not change (or only with approval), and size limits.
package agent_gate.pull_request

import data.agent_gate.lib

# 5. Protected paths. An entry is a glob ("/" is the separator, "**" crosses directories) or
# {pattern, mode}; a rename counts for its old path as well as its new one.
# Patterns are sorted by shape once per evaluation, so that most need no glob.match (which compiles a regular
# expression at every call in wasm): a glob without special characters matches only itself (one lookup per path),
# and one that is a literal prefix followed by "**" (which crosses separators and may be empty) matches every path
# that starts with the prefix. Arrays, not sets: iterating a set of objects re-hashes every element at each step.
#
# The files that define required checks (required_checks.rego) are matched by the same machinery, tagged with mode
# "required-checks" (no protected path's mode): their hits are that rule's, judged in its mode, whether this rule is
# on or not; this rule's findings see only its own patterns.
_patterns := array.concat(_protected_patterns, [_pattern(p, "required-checks") | some p in required_check_definitions])

default _protected_patterns := []

_protected_patterns := array.concat(
	[_pattern(p, _path_mode) |
		some p in rules.protected_paths.paths
		is_string(p)
	],
	[_pattern(e.pattern, object.get(e, "mode", _path_mode)) |
		some e in rules.protected_paths.paths
		is_object(e)
	],
) if {
	enabled("protected_paths")
}

# The default path mode: path_mode; before rule modes (modes.rego) it was spelled `mode`, which a recorded config may
# still carry (the host moves it to path_mode and refuses the two disagreeing, so where both are here, `mode` was
# laid over the defaults and wins).
_path_mode := m if {
	m := rules.protected_paths.mode
	m in {"deny", "require-approval"}
} else := m if {
	m := rules.protected_paths.path_mode
	is_string(m)
} else := "require-approval"

_pattern(glob, mode) := {"pattern": glob, "mode": mode, "kind": "literal"} if {
	_is_literal(glob)
} else := {"pattern": glob, "mode": mode, "kind": "subtree", "prefix": trim_suffix(glob, "**")} if {
	endswith(glob, "**")
	_is_literal(trim_suffix(glob, "**"))
} else := {"pattern": glob, "mode": mode, "kind": "glob", "prefix": _literal_prefix(glob)}

_is_literal(glob) if {
	not contains(glob, "*")
	not contains(glob, "?")
	not contains(glob, "[")
	not contains(glob, "{")
	not contains(glob, "\\")
}

# The text before a glob's first special character: a path can only match if it starts with it, and
# startswith is far cheaper than glob.match. Patterns with escapes get no prefix (always matched in full).
_literal_prefix(p) := split(split(split(split(p, "*")[0], "?")[0], "[")[0], "{")[0] if not contains(p, "\\")

_literal_prefix(p) := "" if contains(p, "\\")

_literals := [p | some p in _patterns; p.kind == "literal"]

_literal_texts := {p.pattern | some p in _literals}

_subtrees := [p | some p in _patterns; p.kind == "subtree"]

_globs := [p | some p in _patterns; p.kind == "glob"]

# The paths an agent changed (a rename counts for its old path too), as an array: duplicates only repeat a hit.
_agent_paths := array.concat(
	[f.path | some f in input.files; f.agent_touched == true],
	[f.previous_path | some f in input.files; f.agent_touched == true; is_string(f.previous_path)],
)

_judged_paths := _agent_paths if {
	agent_pr
	_paths_matched
}

# Changed paths are matched when protected paths are on, or when the files defining required checks are watched.
_paths_matched if enabled("protected_paths")

_paths_matched if count(required_check_definitions) > 0

# What glob.match would find for each path: the pattern shapes agree with it (pull_request_test.rego).
_glob_hits contains {"path": path, "pattern": p.pattern, "mode": p.mode} if {
	some path in _judged_paths
	_literal_texts[path]
	some p in _literals
	p.pattern == path
}

_glob_hits contains {"path": path, "pattern": p.pattern, "mode": p.mode} if {
	some path in _judged_paths
	some p in _subtrees
	startswith(path, p.prefix)
}

_glob_hits contains {"path": path, "pattern": p.pattern, "mode": p.mode} if {
	some path in _judged_paths
	some p in _globs
	startswith(path, p.prefix)
	glob.match(p.pattern, ["/"], path)
}

_hits contains h if some h in _glob_hits

# A changed path may also be a directory the agent replaced (a submodule pointer, a file or symlink where a tree was or
# would be): it hits every pattern whose files could lie under it. Each pattern's fixed directories are indexed once,
# so a path costs one lookup; a glob's directories that are not literal cost one glob.match per path of their depth.
_fixed_dirs(p) := split(trim_suffix(p.prefix, "/"), "/") if p.kind == "subtree"

_fixed_dirs(p) := array.slice(parts, 0, count(parts) - 1) if {
	p.kind == "literal"
	parts := split(p.pattern, "/")
}

_pattern_dirs contains {"dir": concat("/", array.slice(dirs, 0, i)), "pattern": p.pattern, "mode": p.mode} if {
	some p in array.concat(_literals, _subtrees)
	dirs := _fixed_dirs(p)
	count(dirs) > 0
	some i in numbers.range(1, count(dirs))
}

_pattern_dirs contains {"dir": x.dir, "pattern": x.pattern, "mode": x.mode} if {
	some x in _glob_dirs
	_is_literal(x.dir)
}

# A glob's directories: its first segments, as a path's segments would match them (deploy/*.yml: "deploy";
# {a,b}/*/x.tf: "{a,b}" and "{a,b}/*"). Only those before its last segment (a file's name) and before the first that
# holds "**": that one spans any depth, so every path would be a directory of "**/*.tf" (a submodule pointer hits it,
# below). A segment ending in "\\" (an escaped "/"), or, where a bracket or brace spans a "/", the first holding one,
# ends them too: the segments after it cannot be told apart.
_glob_dirs contains {"dir": concat("/", array.slice(segs, 0, i)), "depth": i, "pattern": p.pattern, "mode": p.mode} if {
	some p in _globs
	segs := split(p.pattern, "/")
	n := _glob_dir_count(p.pattern, segs)
	n > 0
	some i in numbers.range(1, n)
}

_glob_dir_count(pattern, segs) := min(array.concat([count(segs) - 1], [i | some i, s in segs; _ends_dirs(pattern, s)]))

_ends_dirs(_, s) if contains(s, "**")

_ends_dirs(_, s) if endswith(s, "\\")

_ends_dirs(pattern, s) if {
	some c in ["[", "{"]
	contains(s, c)
	regex.match(`[\[{][^\]}]*/`, pattern)
}

# The glob directories that are not literal, by depth: a path is matched only against those of its own depth.
_glob_dirs_by_depth := {k: dirs |
	some x in _glob_dirs
	not _is_literal(x.dir)
	k := x.depth
	dirs := [{"dir": y.dir, "prefix": _literal_prefix(y.dir), "pattern": y.pattern, "mode": y.mode} |
		some y in _glob_dirs
		y.depth == k
		not _is_literal(y.dir)
	]
}

_hits contains {"path": path, "pattern": x.pattern, "mode": x.mode} if {
	count(_glob_dirs_by_depth) > 0
	some path in _judged_paths
	some x in _glob_dirs_by_depth[count(split(path, "/"))]
	startswith(path, x.prefix)
	glob.match(x.dir, ["/"], path)
}

_dirs_index := {d: hits |
	some x in _pattern_dirs
	d := x.dir
	hits := [y | some y in _pattern_dirs; y.dir == d]
}

_hits contains {"path": path, "pattern": h.pattern, "mode": h.mode} if {
	some path in _judged_paths
	some h in _dirs_index[path]
}

# A submodule pointer replaces a whole tree whose files are unknown: it hits every glob whose fixed prefix could lie
# inside it or contain it (a glob with no fixed prefix, "**/*.tf", always).
_judged_submodules := [f.path |
	some f in input.files
	f.agent_touched == true
	f.submodule == true
] if {
	agent_pr
	_paths_matched
}

_hits contains {"path": path, "pattern": p.pattern, "mode": p.mode} if {
	some path in _judged_submodules
	some p in _globs
	_overlaps(p.prefix, concat("", [path, "/"]))
}

_overlaps(a, b) if startswith(a, b)

_overlaps(a, b) if startswith(b, a)

_denied_paths contains h.path if {
	some h in _hits
	h.mode == "deny"
}

_approval_paths contains h.path if {
	some h in _hits
	h.mode == "require-approval"
	not _denied_paths[h.path]
}

# The patterns each hit path matched, grouped once (a lookup per denied path, not a scan of every hit).
_patterns_by_path[h.path] contains h.pattern if {
	some h in _hits
	h.mode != "required-checks"
}

_patterns_for(path) := sort(_patterns_by_path[path])

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

# Two sums rather than one of per-file additions: every arithmetic operation is a decimal one in wasm. A binary file
# shows no lines on GitHub; it counts for rules.size.binary_file_lines, never for none.
_agent_lines := (sum([f.additions | some f in _agent_files]) + sum([f.deletions | some f in _agent_files])) + (count(_agent_binaries) * _binary_weight)

_agent_binaries := [f.path | some f in _agent_files; f.binary == true]

_binary_weight := object.get(rules.size, "binary_file_lines", 100)

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
