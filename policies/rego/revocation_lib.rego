# The organisation's revocation list (issue 18, docs/revocation.md): data.revoked, read from the owner's `.github`
# repository, never from the repository's own config. What it names is denied by the rule `revoked` of both decisions,
# always enforced: it is no section of rules, so rule modes and shadow mode never hold it back.
# (Beside lib.rego, at policies/rego/, for the reason given there.)
package agent_gate.lib

default revoked := {}

revoked := data.revoked

revocation_source := object.get(revoked, "source", "the organisation's revocation list")

_entries(kind) := object.get(revoked, kind, [])

# Each revoked item an attestation's facts match, as {kind, item, reason}: item names it for the reviewer.
revoked_matches(a) := {m |
	some kind in ["signers", "certificates", "rekor_entries", "models", "agents", "commit_keys"]
	some e in _entries(kind)
	item := _revoked_item(kind, e, a)
	m := {"kind": kind, "item": item, "reason": object.get(e, "reason", "")}
}

_signer(a) := object.union({"type": "certificate"}, object.get(a, "signer", {}))

_revoked_item("signers", e, a) := concat("", ["signer `", _signer_name(s), "`"]) if {
	s := _signer(a)
	_revoked_signer(e, s)
}

_revoked_item("certificates", e, a) := concat("", ["certificate ", e.fingerprint]) if {
	_signer(a).certificate_fingerprint == e.fingerprint
}

_revoked_item("rekor_entries", e, a) := concat("", ["Rekor entry ", e.log_index, " of log ", substring(e.log_id, 0, 16)]) if {
	a.rekor_log_index == e.log_index
	a.rekor_log_id == e.log_id
}

_revoked_item("rekor_entries", e, a) := concat("", ["Rekor entry ", e.uuid]) if {
	a.rekor_entry_uuid == e.uuid
}

_revoked_item("models", e, a) := concat("", ["model ", e.model, _version_note(e)]) if {
	some m in _models(a)
	lower(m.id) == lower(e.model)
	_version_fits(e, m)
}

_revoked_item("agents", e, a) := concat("", ["agent ", e.name, _version_note(e)]) if {
	lower(a.agent.name) == lower(e.name)
	_version_fits(e, a.agent)
}

_revoked_item("commit_keys", e, a) := concat("", ["commit signing certificate ", e.fingerprint]) if {
	a.tier == "signed-commit"
	_signer(a).certificate_fingerprint == e.fingerprint
}

# The signer forms of rules.signers, and a platform signer (an agent account GitHub signed for) by identity and issuer.
_revoked_signer(e, s) if signer_matches(e, s)

_revoked_signer(e, s) if {
	s.type == "platform"
	is_string(e.identity)
	lower(e.identity) == lower(s.identity)
	e.issuer == s.issuer
}

_signer_name(s) := s.identity if is_string(s.identity)

_signer_name(s) := concat("", ["key ", s.key_hint]) if {
	not string_at(s, ["identity"])
	is_string(s.key_hint)
}

_signer_name(s) := "(unnamed)" if {
	not string_at(s, ["identity"])
	not string_at(s, ["key_hint"])
}

# The statement's model and every model it names (subagents', tools').
_models(a) := array.concat([m | m := a.model; is_string(m.id)], [m | some m in object.get(a, "models", []); is_string(m.id)])

_version_fits(e, _) if not has_key(e, "version")

_version_fits(e, x) if e.version == x.version

_version_note(e) := concat("", [" version ", e.version]) if is_string(e.version)

_version_note(e) := "" if not has_key(e, "version")

reason_note(m) := concat("", [": ", m.reason]) if m.reason != ""

reason_note(m) := "" if m.reason == ""
